"""Feature maps: what each layer of a network computes on one image (d2l 7.6, 8.2, 8.6).

Forward hooks record every top-level layer's output (or every leaf layer's) while the image
passes through the network once, in eval mode and without gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class FeatureMap:
    """One layer's output on one image.

    ``maps`` is (k, H, W) for a 4-D output (the first ``k`` of ``num_channels`` channels) or
    (n,) for a vector (after ``Flatten``/``Linear``).
    """

    name: str
    layer: str
    shape: tuple[int, ...]
    maps: torch.Tensor
    num_channels: int

    @property
    def is_image(self) -> bool:
        return self.maps.dim() == 3


def prepare_input(X: torch.Tensor, in_channels: int, input_size: int) -> torch.Tensor:
    """An image (C, H, W) in [0, 1] as a batch of one (1, in_channels, size, size).

    Resized bilinearly (with antialiasing when shrinking), as d2l's ``resize`` transform does
    for Fashion-MNIST; channels are averaged to one or the grey channel repeated.
    """
    if X.dim() == 2:
        X = X.unsqueeze(0)
    X = X.float()
    if X.shape[0] != in_channels:
        X = X.mean(0, keepdim=True)
        X = X.expand(in_channels, -1, -1)
    X = X.unsqueeze(0)
    if tuple(X.shape[-2:]) != (input_size, input_size):
        shrink = min(X.shape[-2:]) > input_size
        X = F.interpolate(
            X, size=(input_size, input_size), mode="bilinear", align_corners=False, antialias=shrink
        )
    return X.clamp(0, 1).contiguous()


def _leaves(net: nn.Module):
    for name, module in net.named_modules():
        is_leaf = not any(True for _ in module.children())
        if name and is_leaf and not isinstance(module, nn.Identity):
            yield name, module


def feature_maps(
    net: nn.Module, X: torch.Tensor, max_channels: int = 16, detailed: bool = False
) -> list[FeatureMap]:
    """Each layer's activations for the batch of one ``X`` (see :func:`prepare_input`).

    Args:
        net: the network; it is put in eval mode for the pass and restored afterwards.
        X: (1, C, H, W).
        max_channels: keep at most this many channels per layer (the first ones).
        detailed: hook every leaf layer instead of the top-level layers.
    """
    records: list[FeatureMap] = []

    def hook_for(name):
        def hook(module, args, out):
            out = out.detach().float().cpu()[0]
            if out.dim() == 3:
                maps = out[:max_channels].clone()
                n = out.shape[0]
            else:
                maps = out.flatten().clone()
                n = 1
            records.append(FeatureMap(name, type(module).__name__, (1, *out.shape), maps, n))

        return hook

    modules = list(_leaves(net)) if detailed else list(net.named_children())
    handles = [m.register_forward_hook(hook_for(name)) for name, m in modules]
    was_training = net.training
    net.eval()
    p = next(net.parameters(), None)
    try:
        with torch.no_grad():
            net(X.to(p.device if p is not None else "cpu"))
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    return records


def normalise_maps(maps: torch.Tensor) -> torch.Tensor:
    """Scale each channel of (k, H, W) to [0, 1] on its own, so faint channels stay visible."""
    lo = maps.amin(dim=(1, 2), keepdim=True)
    hi = maps.amax(dim=(1, 2), keepdim=True)
    return (maps - lo) / (hi - lo).clamp_min(1e-12)
