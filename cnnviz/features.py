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


# -- the first layer, the one whose kernels can be read as images ----------------------------

ACTIVATION_TYPES = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.LeakyReLU)


class _Captured(Exception):
    """Raised from a hook to end a forward pass once the wanted output is recorded."""


def first_conv(net: nn.Module) -> nn.Conv2d:
    """The network's first convolution (LeNet conv1, VGG block 1, ResNet stem)."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            return m
    raise ValueError("the network has no convolution")


def first_stage(net: nn.Module) -> tuple[list[str], nn.Module]:
    """Names of the leaf modules up to the first activation after the first convolution
    (LeNet: conv → sigmoid; VGG: conv → ReLU; ResNet's stem: conv → BN → ReLU), and the
    module whose output is the first layer's feature maps."""
    conv = first_conv(net)
    names: list[str] = []
    target = None
    for name, m in net.named_modules():
        if any(True for _ in m.children()):
            continue
        names.append(name)
        if m is conv:
            target = conv
        elif target is not None and isinstance(m, ACTIVATION_TYPES):
            return names, m
    # ResNet's residual blocks use F.relu, but every preset has an activation module after
    # its first conv; a spec without one shows the convolution's output.
    return names, target or conv


def first_layer_kernels(net: nn.Module) -> torch.Tensor:
    """The first convolution's kernels, (out_channels, k, k), averaged over input channels."""
    return first_conv(net).weight.detach().float().cpu().mean(1)


def first_layer_maps(net: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Feature maps (C, H, W) after the first convolution's activation, for a batch of one.

    ResNet's stem maps are after conv → BN → ReLU (d2l 8.6), LeNet's after conv → sigmoid
    (7.6). The forward pass ends as soon as they are recorded (the rest is not needed).
    """
    _, target = first_stage(net)
    captured: list[torch.Tensor] = []

    def hook(module, args, out):
        captured.append(out.detach())
        raise _Captured

    handle = target.register_forward_hook(hook)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(X)
    except _Captured:
        pass
    finally:
        handle.remove()
        net.train(was_training)
    return captured[0][0].float().cpu()


def first_stage_state(net: nn.Module) -> dict[str, torch.Tensor]:
    """CPU copies of the state (weights, BN statistics) of the modules that
    :func:`first_layer_maps` runs: a few kilobytes, kept per epoch to scrub through training."""
    names = set(first_stage(net)[0])
    return {
        k: v.detach().to("cpu").contiguous().clone()
        for k, v in net.state_dict().items()
        if k.rpartition(".")[0] in names
    }


def learned_at(spec, state: dict[str, torch.Tensor], X: torch.Tensor):
    """First-layer kernels (C, k, k) and feature maps (C, H, W) from a
    :func:`first_stage_state` snapshot, for one prepared image ``X`` (1, C, H, W).

    Only the first stage is materialised (the rest of the network stays on the meta device),
    so scrubbing VGG-11 at 224 does not allocate its 129 million parameters.

    Raises:
        ValueError: the snapshot does not belong to a network of this spec.
    """
    from cnnviz.models import build_model

    with torch.device("meta"):
        net = build_model(spec)
    names, _ = first_stage(net)
    modules = dict(net.named_modules())
    stage = nn.Sequential(*[modules[n] for n in names]).to_empty(device="cpu")
    renamed = {}
    for i, name in enumerate(names):
        for key, value in state.items():
            owner, _, leaf = key.rpartition(".")
            if owner == name:
                renamed[f"{i}.{leaf}"] = value
    try:
        stage.load_state_dict(renamed)
    except RuntimeError as exc:
        raise ValueError(f"the snapshot belongs to another network ({exc})") from None
    stage.eval()
    with torch.no_grad():
        maps = stage(X.float())[0]
    return first_layer_kernels(stage), maps.float().cpu()
