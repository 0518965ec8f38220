"""d2l's ``layer_summary`` as a table: each layer's output shape, parameters and multiply-adds.

d2l 7.6 feeds a random tensor through ``net`` and prints each top-level layer's class name and
output shape. Here a spec is built on PyTorch's ``meta`` device (shapes without memory or
arithmetic), so even VGG-11 at 224×224 (128M parameters) is summarised in milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from cnnviz.models.build import build_model
from cnnviz.models.meta import ShapesOnly
from cnnviz.models.registry import is_spec
from cnnviz.models.specs import ModelSpec

if TYPE_CHECKING:  # pandas is imported where a table is built: training needs none
    import pandas as pd

COLUMNS = ["name", "layer", "output shape", "parameters", "multiply-adds", "shape"]


def default_input_shape(spec: ModelSpec) -> tuple[int, int, int, int]:
    """(1, in_channels, input_size, input_size): one example, as d2l's summaries use."""
    return (1, spec.in_channels, spec.input_size, spec.input_size)


def _macs(module: nn.Module, out: torch.Tensor) -> int:
    """Multiply-adds of one leaf layer for the whole batch (convolutions and linear layers)."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return out.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    return 0


def _is_leaf(module: nn.Module) -> bool:
    return not any(True for _ in module.children()) and not isinstance(module, nn.Identity)


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def layer_summary(
    spec_or_net: ModelSpec | nn.Module,
    input_shape: tuple[int, ...] | None = None,
    detailed: bool = False,
) -> pd.DataFrame:
    """One row per top-level layer (d2l 7.6's ``layer_summary``), or per leaf if ``detailed``.

    Args:
        spec_or_net: a model spec (built on the meta device) or an ``nn.Module`` (run on a
            zero tensor on its own device, in eval mode, without gradients).
        input_shape: defaults to ``(1, in_channels, input_size, input_size)`` for a spec.
        detailed: every leaf layer (Conv2d, BatchNorm2d, ReLU, ...) instead of the top level.

    Returns:
        Columns ``name`` (module path), ``layer`` (class name as d2l prints it), ``output
        shape`` (text like ``[1, 6, 28, 28]``), ``parameters``, ``multiply-adds`` (per batch;
        convolutions and linear layers, summed over a block's leaves) and ``shape`` (tuple).

    Raises:
        SpecError: for a spec that cannot be built.
    """
    if is_spec(spec_or_net):
        spec = spec_or_net
        net = build_model(spec, device="meta")
        input_shape = input_shape or default_input_shape(spec)
        device = torch.device("meta")
    else:
        net = spec_or_net
        if input_shape is None:
            raise ValueError("input_shape is required when summarising a module")
        p = next(net.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")

    rows: list[dict] = []
    macs: dict[str, int] = {}
    handles = []

    def leaf_hook(name):
        def hook(module, args, out):
            macs[name] = macs.get(name, 0) + _macs(module, out)
            if detailed:
                rows.append(_row(name, module, out))

        return hook

    def top_hook(name):
        def hook(module, args, out):
            rows.append(_row(name, module, out))

        return hook

    for name, module in net.named_modules():
        if name and _is_leaf(module):
            handles.append(module.register_forward_hook(leaf_hook(name)))
    if not detailed:
        for name, module in net.named_children():
            handles.append(module.register_forward_hook(top_hook(name)))
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad(), ShapesOnly():
            net(torch.zeros(input_shape, device=device))
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)

    for row in rows:
        prefix = row["name"] + "."
        row["multiply-adds"] = sum(
            v for k, v in macs.items() if k == row["name"] or k.startswith(prefix)
        )
    import pandas as pd

    return pd.DataFrame(rows, columns=COLUMNS)


def _row(name: str, module: nn.Module, out: torch.Tensor) -> dict:
    return {
        "name": name,
        "layer": module.__class__.__name__,
        "output shape": _shape_text(out.shape),
        "parameters": sum(p.numel() for p in module.parameters()),
        "multiply-adds": 0,
        "shape": tuple(int(s) for s in out.shape),
    }


def d2l_lines(summary: pd.DataFrame) -> list[str]:
    """The rows as d2l prints them: ``Conv2d output shape:\\t torch.Size([1, 6, 28, 28])``."""
    return [
        f"{layer} output shape:\t torch.Size({shape})"
        for layer, shape in zip(summary["layer"], summary["output shape"], strict=True)
    ]


def totals(summary: pd.DataFrame) -> dict:
    """Total parameters and multiply-adds of a top-level summary, and the final shape."""
    return {
        "parameters": int(summary["parameters"].sum()),
        "multiply-adds": int(summary["multiply-adds"].sum()),
        "output shape": summary["output shape"].iloc[-1] if len(summary) else "",
    }


def _branching(module: nn.Module) -> bool:
    """A block whose layers run side by side (Inception, DenseBlock): it says so with a
    ``branches`` attribute, ((label, (its modules' names, …)), …)."""
    return isinstance(getattr(module, "branches", None), tuple)


def diagram_rows(spec: ModelSpec) -> pd.DataFrame:
    """The rows the network diagram draws: the top-level layers of :func:`layer_summary`, but
    a top-level block that holds branching blocks (GoogLeNet's b3 holds Inception blocks) is
    opened into its layers, and every branching block's row gets a ``branches`` list of
    (label, output shape) per branch: an Inception block's four, a dense block's input and
    each convolution block's output, which are concatenated along the channels.

    Raises:
        SpecError: for a spec that cannot be built.
    """
    net = build_model(spec, device="meta")
    rows: list[dict] = []
    shapes: dict[str, tuple] = {}
    handles = []

    def record(name, branch_of=None):
        def hook(module, args, out):
            if branch_of is not None:
                shapes[name] = tuple(int(s) for s in out.shape)
                return
            row = _row(name, module, out)
            if _branching(module):
                row["_module"] = module
                row["_input"] = tuple(int(s) for s in args[0].shape)
            rows.append(row)

        return hook

    shown: list[tuple[str, nn.Module]] = []
    for name, module in net.named_children():
        children = list(module.named_children())
        if isinstance(module, nn.Sequential) and any(_branching(c) for _, c in children):
            shown += [(f"{name}.{child}", c) for child, c in children]
        else:
            shown.append((name, module))
    for name, module in shown:
        handles.append(module.register_forward_hook(record(name)))
        if _branching(module):
            for _, layers in module.branches:
                if layers:
                    sub = module.get_submodule(layers[-1])
                    handles.append(sub.register_forward_hook(record(f"{name}:{layers[-1]}", name)))
    net.eval()
    try:
        with torch.no_grad(), ShapesOnly():
            net(torch.zeros(default_input_shape(spec), device="meta"))
    finally:
        for h in handles:
            h.remove()
    for row in rows:
        module = row.pop("_module", None)
        row_input = row.pop("_input", None)
        if module is None:
            row["branches"] = None
            continue
        row["branches"] = [
            (label, shapes[f"{row['name']}:{layers[-1]}"] if layers else row_input)
            for label, layers in module.branches
        ]
    import pandas as pd

    return pd.DataFrame(rows, columns=[*COLUMNS, "branches"])
