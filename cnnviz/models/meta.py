"""Shapes without arithmetic: a pass on PyTorch's ``meta`` device that skips the layers whose
output has their input's shape (the summary and the registry's map-size check use it)."""

from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode


class ShapesOnly(TorchFunctionMode):
    """A pass on the meta device computes shapes only; element-wise layers that keep their
    input's shape (activations, batch norm, dropout) return it as it is. PyTorch has no meta
    kernel for some of them and runs a Python fallback, about a millisecond a call, which
    made most of a GoogLeNet or DenseNet summary's time."""

    SAME_SHAPE = frozenset({
        F.relu, torch.relu, torch.Tensor.relu, F.batch_norm, torch.batch_norm, torch.sigmoid,
        F.sigmoid, torch.tanh, F.tanh, F.gelu, F.leaky_relu, F.dropout, torch.dropout,
    })  # fmt: skip

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.SAME_SHAPE and args and getattr(args[0], "is_meta", False):
            return args[0]
        return func(*args, **(kwargs or {}))
