"""Turn a spec into an ``nn.Module`` the way d2l builds it (chapters 7 and 8): the spec's
family (cnnviz.models.registry) makes the layers, this module initialises them.

Layers are built eagerly (not ``Lazy*``) so parameters exist before the first batch; the
structure of the top-level ``nn.Sequential`` matches d2l's, so ``layer_summary`` prints the
same rows as the book.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cnnviz.models.base import flat_features, init_cnn, make_activation
from cnnviz.models.registry import family_of
from cnnviz.models.specs import ModelSpec
from cnnviz.models.validate import validate

__all__ = ["build_model", "flat_features", "init_cnn", "init_from", "make_activation"]


def network_from_weights(spec: ModelSpec, state: dict[str, torch.Tensor]) -> nn.Sequential:
    """The one way a trained network is rebuilt (the lab, the insight page, the builder): the
    spec's layers made on the meta device and given ``state``'s tensors as they are (no
    initialisation to throw away, seconds for VGG-11; the global RNG untouched), in eval mode.

    Raises:
        SpecError: the spec cannot be built.
        ValueError: the weights belong to another network (the first difference is said).
    """
    net = build_model(spec, device="meta")
    try:
        net.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    leftover = [n for n, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta]
    if leftover:
        raise ValueError(f"the weights lack {', '.join(leftover[:3])}")
    return net.eval()


def init_from(net: nn.Module, generator: torch.Generator) -> None:
    """Initialise every parameter of ``net`` from ``generator`` alone, never the global RNG.

    The same distributions as an ordinary build: d2l's Xavier-uniform weights for Conv2d and
    Linear, PyTorch's default bias U(-1/√fan_in, 1/√fan_in), batch norm weight 1 and bias 0
    with fresh running statistics. Randomness belongs to its owner (a run, a page's feature
    maps), so two builds from equal seeds are equal whatever other threads do meanwhile.
    """
    with torch.no_grad():
        for module in net.modules():
            if type(module) in (nn.Linear, nn.Conv2d):
                nn.init.xavier_uniform_(module.weight, generator=generator)
                if module.bias is not None:
                    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                    nn.init.uniform_(module.bias, -bound, bound, generator=generator)
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
                if module.affine:
                    nn.init.ones_(module.weight)
                    nn.init.zeros_(module.bias)
            elif callable(getattr(module, "reset_parameters", None)):
                module.reset_parameters()  # a family's own layer (e.g. d2l 8.5's BatchNorm)


def build_model(
    spec: ModelSpec,
    device: str | torch.device | None = None,
    generator: torch.Generator | None = None,
) -> nn.Sequential:
    """The network a spec describes, initialised with d2l's ``init_cnn``.

    Without ``generator`` the layers draw from the global RNG as ``nn.Conv2d``/``nn.Linear``
    do, then ``init_cnn`` redraws the weights (d2l's order). With one, the layers are made on
    the meta device and every parameter is drawn from ``generator`` (see :func:`init_from`):
    the global RNG is neither read nor advanced. The values are made on the generator's device
    and then moved to ``device``.

    Raises:
        SpecError: the spec cannot be built (the message names the stage and shapes).
    """
    validate(spec)
    builder = family_of(spec).build
    if device is not None and torch.device(device).type == "meta":
        with torch.device("meta"):
            return builder(spec)  # shapes only: nothing to initialise
    if generator is not None:
        with torch.device("meta"):
            net = builder(spec)
        net = net.to_empty(device=generator.device)
        init_from(net, generator)
    else:
        net = builder(spec)
        net.apply(init_cnn)
    return net if device is None else net.to(device)
