"""Turn a spec into an ``nn.Module`` the way d2l builds it (7.6, 8.2, 8.6).

Layers are built eagerly (not ``Lazy*``) so parameters exist before the first batch; the
structure of the top-level ``nn.Sequential`` matches d2l's, so ``layer_summary`` prints the
same rows as the book.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.models.specs import LeNetSpec, ModelSpec, ResNetSpec, VGGSpec
from cnnviz.models.validate import validate


def make_activation(name: str) -> nn.Module:
    return {
        "sigmoid": nn.Sigmoid,
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "leaky_relu": nn.LeakyReLU,
    }[name]()


def init_cnn(module: nn.Module) -> None:
    """d2l's ``init_cnn``: Xavier-uniform weights for every Conv2d and Linear."""
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)


def _flat_features(features: nn.Module, spec: ModelSpec) -> int:
    with torch.device("meta"):
        x = torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size)
        return int(features(x).flatten(1).shape[1])


def lenet(spec: LeNetSpec) -> nn.Sequential:
    """d2l 7.6 ``LeNet``, with the activation, pooling and widths taken from the spec."""
    c1, c2 = spec.channels
    pool = nn.AvgPool2d if spec.pool == "avg" else nn.MaxPool2d
    act = spec.activation
    features = [
        nn.Conv2d(spec.in_channels, c1, kernel_size=spec.kernel_size, padding=spec.padding),
        make_activation(act),
        pool(kernel_size=2, stride=2),
        nn.Conv2d(c1, c2, kernel_size=spec.kernel_size),
        make_activation(act),
        pool(kernel_size=2, stride=2),
        nn.Flatten(),
    ]
    n = _flat_features(nn.Sequential(*features), spec)
    f1, f2 = spec.fc
    return nn.Sequential(
        *features,
        nn.Linear(n, f1), make_activation(act),
        nn.Linear(f1, f2), make_activation(act),
        nn.Linear(f2, spec.num_classes),
    )  # fmt: skip


def vgg_block(num_convs: int, in_channels: int, out_channels: int, act: str = "relu"):
    """d2l 8.2 ``vgg_block``: ``num_convs`` 3×3 convs with padding 1, then a 2×2 max-pool."""
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(make_activation(act))
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(spec: VGGSpec) -> nn.Sequential:
    """d2l 8.2 ``VGG``: the conv blocks of ``arch``, then two FC layers with dropout."""
    blocks, c = [], spec.in_channels
    for num_convs, out_channels in spec.arch:
        blocks.append(vgg_block(num_convs, c, out_channels, spec.activation))
        c = out_channels
    n = _flat_features(nn.Sequential(*blocks, nn.Flatten()), spec)
    act = spec.activation
    return nn.Sequential(
        *blocks, nn.Flatten(),
        nn.Linear(n, spec.fc), make_activation(act), nn.Dropout(spec.dropout),
        nn.Linear(spec.fc, spec.fc), make_activation(act), nn.Dropout(spec.dropout),
        nn.Linear(spec.fc, spec.num_classes),
    )  # fmt: skip


class Residual(nn.Module):
    """d2l 8.6 ``Residual``, with switches for the seed's two ablations.

    ``batch_norm=False`` drops bn1/bn2; ``skip=False`` drops ``Y += X`` (and the 1×1 conv
    that only served the skip path).
    """

    def __init__(
        self,
        in_channels: int,
        num_channels: int,
        use_1x1conv: bool = False,
        strides: int = 1,
        batch_norm: bool = True,
        skip: bool = True,
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, num_channels, 3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, 3, padding=1)
        self.conv3 = (
            nn.Conv2d(in_channels, num_channels, 1, stride=strides)
            if use_1x1conv and skip
            else None
        )
        self.bn1 = nn.BatchNorm2d(num_channels) if batch_norm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(num_channels) if batch_norm else nn.Identity()
        self.skip = skip

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.skip:
            Y = Y + (self.conv3(X) if self.conv3 is not None else X)
        return F.relu(Y)


def resnet(spec: ResNetSpec) -> nn.Sequential:
    """d2l 8.6 ``ResNet``: stem b1, one stage per ``arch`` entry, global average pool, linear."""
    bn = spec.batch_norm
    c0 = spec.stem_channels
    if spec.stem == "d2l":
        b1 = [nn.Conv2d(spec.in_channels, c0, kernel_size=7, stride=2, padding=3)]
        b1 += [nn.BatchNorm2d(c0)] if bn else []
        b1 += [nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1)]
    else:
        b1 = [nn.Conv2d(spec.in_channels, c0, kernel_size=3, padding=1)]
        b1 += [nn.BatchNorm2d(c0)] if bn else []
        b1 += [nn.ReLU()]
    net = nn.Sequential()
    net.add_module("b1", nn.Sequential(*b1))
    c = c0
    for i, (num_residuals, num_channels) in enumerate(spec.arch):
        blk = []
        for j in range(num_residuals):
            if j == 0 and i != 0:
                blk.append(Residual(c, num_channels, True, 2, bn, spec.skip))
            else:
                blk.append(Residual(c, num_channels, c != num_channels, 1, bn, spec.skip))
            c = num_channels
        net.add_module(f"b{i + 2}", nn.Sequential(*blk))
    net.add_module(
        "last",
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c, spec.num_classes)),
    )
    return net


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
    builder = {LeNetSpec: lenet, VGGSpec: vgg, ResNetSpec: resnet}[type(spec)]
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
