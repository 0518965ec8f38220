"""VGG (d2l 8.2): blocks of 3×3 convolutions and a max-pool, then three fully connected
layers with dropout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from cnnviz.errors import KeyedText
from cnnviz.models.base import (
    ACTIVATION_CODE,
    ACTIVATIONS,
    MAX_FC,
    check_activation,
    check_fraction,
    check_int,
    flat_features,
    make_activation,
    pairs,
    shrink,
)
from cnnviz.models.registry import Family, Field, register


@dataclass(frozen=True)
class VGGSpec:
    """VGG, d2l 8.2: ``arch`` is ((num_convs, out_channels), ...), one block each."""

    family: ClassVar[str] = "vgg"
    # One row per block: (3×3 convolutions in it, their output channels); VGG-11's.
    arch: tuple[tuple[int, int], ...] = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    fc: int = 4096  # width of the two hidden fully connected layers
    dropout: float = 0.5  # after each hidden fully connected layer
    activation: str = "relu"
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 224
    lr: float = 0.01


def vgg_block(num_convs: int, in_channels: int, out_channels: int, act: str = "relu"):
    """d2l 8.2 ``vgg_block``: ``num_convs`` 3×3 convs with padding 1, then a 2×2 max-pool."""
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(make_activation(act))
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def build(spec: VGGSpec) -> nn.Sequential:
    """d2l 8.2 ``VGG``: the conv blocks of ``arch``, then two FC layers with dropout."""
    blocks, c = [], spec.in_channels
    for num_convs, out_channels in spec.arch:
        blocks.append(vgg_block(num_convs, c, out_channels, spec.activation))
        c = out_channels
    n = flat_features(nn.Sequential(*blocks, nn.Flatten()), spec)
    act = spec.activation
    return nn.Sequential(
        *blocks, nn.Flatten(),
        nn.Linear(n, spec.fc), make_activation(act), nn.Dropout(spec.dropout),
        nn.Linear(spec.fc, spec.fc), make_activation(act), nn.Dropout(spec.dropout),
        nn.Linear(spec.fc, spec.num_classes),
    )  # fmt: skip


def check(spec: VGGSpec) -> None:
    check_activation(spec.activation)
    arch = pairs("arch", spec.arch, "num_convs")
    check_int(KeyedText("fc width", "field.width", layer="fc"), spec.fc, 1, MAX_FC)
    check_fraction("dropout", spec.dropout)
    n = spec.input_size
    for i, (_, out_channels) in enumerate(arch, start=1):
        stage = KeyedText(f"VGG block {i}'s max-pool", "stage.vgg_pool", i=i)
        hint = KeyedText("fewer blocks (each halves the map)", "hint.vgg")
        n = shrink(stage, n, 2, 0, 2, out_channels, spec.input_size, hint)


def count_parameters(spec: VGGSpec) -> int:
    total, c, n = 0, spec.in_channels, spec.input_size
    for num_convs, out_channels in spec.arch:
        for _ in range(num_convs):
            total += (c * 9 + 1) * out_channels
            c = out_channels
        n //= 2
    f = spec.fc
    return total + (c * n * n + 1) * f + (f + 1) * f + (f + 1) * spec.num_classes


def largest_map(spec: VGGSpec):
    maps, n = [], spec.input_size
    for i, (_, c) in enumerate(spec.arch, start=1):
        maps.append((KeyedText(f"VGG block {i}'s convolutions", "stage.vgg_convs", i=i),
                     (c, n, n)))  # fmt: skip
        n //= 2
    name, shape = max(maps, key=lambda m: m[1][0] * m[1][1] * m[1][2])
    return shape[0] * shape[1] * shape[2], name, shape


def code(spec: VGGSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    n = spec.input_size
    for _ in spec.arch:
        n //= 2
    c = spec.arch[-1][1]
    f, d = spec.fc, spec.dropout
    return f'''

def vgg_block(num_convs, in_channels, out_channels):
    """d2l 8.2: num_convs 3x3 convolutions (padding 1), then a 2x2 max-pool."""
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append({act})
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


# VGG (d2l 8.2) at {spec.input_size}x{spec.input_size}
arch = {spec.arch!r}
conv_blks, in_channels = [], {spec.in_channels}
for num_convs, out_channels in arch:
    conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
    in_channels = out_channels

net = nn.Sequential(
    *conv_blks, nn.Flatten(),
    nn.Linear({c} * {n} * {n}, {f}), {act}, nn.Dropout({d}),
    nn.Linear({f}, {f}), {act}, nn.Dropout({d}),
    nn.Linear({f}, {spec.num_classes}))
'''


FIELDS = (
    Field("arch", "rows", columns=("num_convs", "channels")),
    Field("activation", "select", options=ACTIVATIONS, line=1),
    Field("fc", "int", 1, 16384, line=1),
    Field("dropout", "slider", 0.0, 0.9, 0.05, line=1),
)

WORDS = {
    "en": {
        "label": "VGG (8.2)",
        "fields": {
            "arch": "arch: one row per block",
            "activation": "activation",
            "fc": "FC width",
            "dropout": "dropout",
        },
        "help": {
            "arch": "Add or delete rows at the bottom of the table; every row halves the map size.",
            "fc": "d2l uses 4096",
        },
        "columns": {"channels": "channels"},
        "presets": {
            "VGG-11": "d2l 8.2: VGG-11 at 224×224 — 128.8M parameters, mostly in the first FC "
            "layer.",
            "VGG-small": "d2l 8.2 trains this VGG with a quarter of the channels at 224×224.",
            "VGG-small-56": "The seed's experiment: the small VGG at 56×56 with one block fewer.",
            "VGG-56-adjusted": "The seed's fix for 56×56: two convs per block, FC 2048, "
            "dropout 0.4.",
        },
    },
    "ko": {
        "label": "VGG (8.2)",
        "fields": {
            "arch": "`arch`: 블록마다 한 행",
            "activation": "활성화 함수 (`activation`)",
            "fc": "완전 연결 층 너비 (FC)",
            "dropout": "드롭아웃 (`dropout`)",
        },
        "help": {
            "arch": "표 아래쪽에서 행을 추가하거나 지우세요. 행마다 맵 크기가 절반이 됩니다.",
            "fc": "d2l은 4096을 씁니다",
        },
        "columns": {"channels": "채널 수"},
        "presets": {
            "VGG-11": "d2l 8.2: 224×224의 VGG-11 — 파라미터 128.8M개, 대부분 첫 번째 완전 연결 "
            "층에 있습니다.",
            "VGG-small": "d2l 8.2는 이 VGG를 채널 수를 4분의 1로 줄여 224×224에서 학습합니다.",
            "VGG-small-56": "원본 노트의 실험: 56×56에서 블록을 하나 뺀 작은 VGG.",
            "VGG-56-adjusted": "56×56을 위한 원본 노트의 해결책: 블록마다 합성곱 두 개, 완전 "
            "연결 2048, 드롭아웃 0.4.",
        },
    },
}

FAMILY = register(
    Family(
        name="vgg",
        spec=VGGSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.2: VGG-11 at 224×224.
            "VGG-11": VGGSpec(),
            # d2l 8.2 trains a VGG with a quarter of the channels at 224×224 (lr 0.01).
            "VGG-small": VGGSpec(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
            # The seed's experiment: the same VGG at 56×56, with one pooling block fewer.
            "VGG-small-56": VGGSpec(arch=((1, 16), (1, 32), (2, 64), (2, 128)), input_size=56),
            # The seed's adjusted VGG for 56×56: two convs per block, FC 2048, dropout 0.4.
            "VGG-56-adjusted": VGGSpec(
                arch=((2, 16), (2, 32), (2, 64), (2, 128)), fc=2048, dropout=0.4, input_size=56
            ),
        },
        words=WORDS,
        toggles={"activation": ACTIVATIONS, "input_size": (28, 32, 48, 56, 96, 112, 224)},
        count_parameters=count_parameters,
        largest_map=largest_map,
        min_input_size=lambda spec: 2 ** len(spec.arch),
        lesson="8.2",
    )
)
