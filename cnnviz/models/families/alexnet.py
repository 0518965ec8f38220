"""AlexNet (d2l 8.1): five convolutions (an 11×11 stride-4 one first), three max-pools, two
4096-wide fully connected layers with dropout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from cnnviz.errors import KeyedText
from cnnviz.models.base import (
    ACTIVATION_CODE,
    ACTIVATIONS,
    MAX_CHANNELS,
    MAX_FC,
    SpecError,
    check_activation,
    check_fraction,
    check_int,
    flat_features,
    make_activation,
    shrink,
)
from cnnviz.models.registry import Family, Field, register


@dataclass(frozen=True)
class AlexNetSpec:
    """AlexNet, d2l 8.1 (``AlexNet().layer_summary((1, 1, 224, 224))``)."""

    family: ClassVar[str] = "alexnet"
    # Output channels of the five convolutions: 11×11/4, 5×5, then three 3×3.
    channels: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)
    kernel_size: int = 11  # the first convolution's window (the book's 11×11)
    stride: int = 4  # … its stride
    padding: int = 1  # … and its padding
    fc: int = 4096  # width of the two hidden fully connected layers
    dropout: float = 0.5  # after each hidden fully connected layer
    activation: str = "relu"
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 224
    lr: float = 0.01  # d2l trains AlexNet with lr 0.01


def build(spec: AlexNetSpec) -> nn.Sequential:
    """d2l 8.1 ``AlexNet`` with eager layers (the book's ``LazyConv2d``/``LazyLinear``)."""
    c1, c2, c3, c4, c5 = spec.channels

    def act():
        return make_activation(spec.activation)

    features = [
        nn.Conv2d(spec.in_channels, c1, kernel_size=spec.kernel_size, stride=spec.stride,
                  padding=spec.padding), act(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c1, c2, kernel_size=5, padding=2), act(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c2, c3, kernel_size=3, padding=1), act(),
        nn.Conv2d(c3, c4, kernel_size=3, padding=1), act(),
        nn.Conv2d(c4, c5, kernel_size=3, padding=1), act(),
        nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
    ]  # fmt: skip
    n = flat_features(nn.Sequential(*features), spec)
    return nn.Sequential(
        *features,
        nn.Linear(n, spec.fc), act(), nn.Dropout(p=spec.dropout),
        nn.Linear(spec.fc, spec.fc), act(), nn.Dropout(p=spec.dropout),
        nn.Linear(spec.fc, spec.num_classes),
    )  # fmt: skip


def _sides(spec: AlexNetSpec) -> list[tuple[str, int, int]]:
    """(stage, channels, side) after every layer that changes the side, checked."""
    size = spec.input_size
    c1, c2, _, _, c5 = spec.channels
    hint = KeyedText("a smaller first kernel or stride", "hint.alexnet")
    n = shrink("conv1", size, spec.kernel_size, spec.padding, spec.stride, spec.in_channels,
               size, hint)  # fmt: skip
    out = [("conv1", c1, n)]
    n = shrink("pool1", n, 3, 0, 2, c1, size, hint)
    out.append(("conv2", c2, n))
    n = shrink("pool2", n, 3, 0, 2, c2, size, hint)
    out.append(("conv3-5", max(spec.channels[2:]), n))
    n = shrink("pool3", n, 3, 0, 2, c5, size, hint)
    out.append(("pool3", c5, n))
    return out


def check(spec: AlexNetSpec) -> None:
    check_activation(spec.activation)
    if not isinstance(spec.channels, tuple | list) or len(spec.channels) != 5:
        raise SpecError(
            f"channels must be five numbers (conv1 … conv5), got {spec.channels!r}.",
            "spec.alexnet_channels", value=repr(spec.channels),
        )  # fmt: skip
    for i, c in enumerate(spec.channels, start=1):
        check_int(KeyedText(f"conv{i} channels", "field.channels", layer=f"conv{i}"), c, 1,
                  MAX_CHANNELS)  # fmt: skip
    check_int("kernel_size", spec.kernel_size, 1, 15)
    check_int("stride", spec.stride, 1, 8)
    check_int("padding", spec.padding, 0, 7)
    check_int(KeyedText("fc width", "field.width", layer="fc"), spec.fc, 1, MAX_FC)
    check_fraction("dropout", spec.dropout)
    _sides(spec)


def count_parameters(spec: AlexNetSpec) -> int:
    c1, c2, c3, c4, c5 = spec.channels
    k, f = spec.kernel_size, spec.fc
    n = _sides(spec)[-1][2]
    return (
        (spec.in_channels * k * k + 1) * c1 + (c1 * 25 + 1) * c2 + (c2 * 9 + 1) * c3
        + (c3 * 9 + 1) * c4 + (c4 * 9 + 1) * c5
        + (c5 * n * n + 1) * f + (f + 1) * f + (f + 1) * spec.num_classes
    )  # fmt: skip


def largest_map(spec: AlexNetSpec):
    stage, c, n = max(_sides(spec), key=lambda s: s[1] * s[2] * s[2])
    return c * n * n, stage, (c, n, n)


def code(spec: AlexNetSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    c1, c2, c3, c4, c5 = spec.channels
    n = _sides(spec)[-1][2]
    f, d = spec.fc, spec.dropout
    return f"""

# AlexNet (d2l 8.1) at {spec.input_size}x{spec.input_size}
net = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {c1}, kernel_size={spec.kernel_size}, stride={spec.stride}, \
padding={spec.padding}), {act},
    nn.MaxPool2d(kernel_size=3, stride=2),
    nn.Conv2d({c1}, {c2}, kernel_size=5, padding=2), {act},
    nn.MaxPool2d(kernel_size=3, stride=2),
    nn.Conv2d({c2}, {c3}, kernel_size=3, padding=1), {act},
    nn.Conv2d({c3}, {c4}, kernel_size=3, padding=1), {act},
    nn.Conv2d({c4}, {c5}, kernel_size=3, padding=1), {act},
    nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
    nn.Linear({c5} * {n} * {n}, {f}), {act}, nn.Dropout(p={d}),
    nn.Linear({f}, {f}), {act}, nn.Dropout(p={d}),
    nn.Linear({f}, {spec.num_classes}))
"""


FIELDS = (
    *(
        Field(f"alex_c{i + 1}", "int", 1, 1024, field="channels", index=i, line=0) for i in range(5)
    ),  # fmt: skip
    Field("kernel_size", "int", 1, 15, line=1),
    Field("stride", "int", 1, 8, line=1),
    Field("padding", "int", 0, 7, line=1),
    Field("activation", "select", options=ACTIVATIONS, line=2),
    Field("fc", "int", 1, 16384, line=2),
    Field("dropout", "slider", 0.0, 0.9, 0.05, line=2),
)

_CONV = {f"alex_c{i}": f"conv{i} channels" for i in range(1, 6)}
_CONV_KO = {f"alex_c{i}": f"conv{i} 채널 수" for i in range(1, 6)}

WORDS = {
    "en": {
        "label": "AlexNet (8.1)",
        "fields": {
            **_CONV,
            "kernel_size": "conv1 kernel_size",
            "stride": "conv1 stride",
            "padding": "conv1 padding",
            "activation": "activation",
            "fc": "FC width",
            "dropout": "dropout",
        },
        "help": {
            "kernel_size": "The book's 11×11: a big window for big (224×224) images.",
            "stride": "The book's 4: the first layer already shrinks the map fourfold.",
            "fc": "d2l uses 4096",
            "dropout": "d2l 8.1 keeps dropout 0.5 in both hidden FC layers.",
        },
        "presets": {
            "AlexNet": "d2l 8.1: AlexNet at 224×224 (Fashion-MNIST resized), 46.8M parameters, "
            "most of them in the first FC layer.",
            "AlexNet-small": "A CPU-sized AlexNet for 28×28 inputs: a 3×3 stride-1 first "
            "convolution, a quarter of the channels, FC 512 (no resizing).",
        },
        "errors": {
            "spec.alexnet_channels": "channels must be five numbers (conv1 … conv5), got {value}.",
            "hint.alexnet": "a smaller first kernel or stride",
        },
    },
    "ko": {
        "label": "AlexNet (8.1)",
        "fields": {
            **_CONV_KO,
            "kernel_size": "conv1 커널 크기 (`kernel_size`)",
            "stride": "conv1 스트라이드",
            "padding": "conv1 패딩",
            "activation": "활성화 함수 (`activation`)",
            "fc": "완전 연결 층 너비 (FC)",
            "dropout": "드롭아웃 (`dropout`)",
        },
        "help": {
            "kernel_size": "책의 11×11: 큰 (224×224) 이미지를 위한 큰 창입니다.",
            "stride": "책의 4: 첫 번째 층이 벌써 맵을 4분의 1로 줄입니다.",
            "fc": "d2l은 4096을 씁니다",
            "dropout": "d2l 8.1은 두 은닉 완전 연결 층 모두에 드롭아웃 0.5를 둡니다.",
        },
        "presets": {
            "AlexNet": "d2l 8.1: 224×224 (Fashion-MNIST를 키워서)의 AlexNet, 파라미터 46.8M개, "
            "대부분 첫 번째 완전 연결 층에 있습니다.",
            "AlexNet-small": "28×28 입력을 위한 CPU 크기의 AlexNet: 3×3 스트라이드 1의 첫 "
            "합성곱, 4분의 1의 채널 수, 완전 연결 512 (크기 조정 없음).",
        },
        "errors": {
            "spec.alexnet_channels": "`channels` (채널 수)는 숫자 다섯 개 (conv1 … conv5)여야 "
            "합니다 (받은 값 {value}).",
            "hint.alexnet": "첫 번째 커널이나 스트라이드를 줄이세요",
        },
    },
}

FAMILY = register(
    Family(
        name="alexnet",
        spec=AlexNetSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.1: AlexNet on Fashion-MNIST resized to 224×224, lr 0.01.
            "AlexNet": AlexNetSpec(),
            # A CPU-sized AlexNet at Fashion-MNIST's own 28×28 (the book's exercise: simplify
            # it for faster training): 3×3/1 first convolution, channels ÷4, FC 512.
            "AlexNet-small": AlexNetSpec(
                channels=(24, 64, 96, 96, 64),
                kernel_size=3,
                stride=1,
                padding=1,
                fc=512,
                input_size=28,
            ),  # fmt: skip
        },
        words=WORDS,
        toggles={"dropout": (0.5, 0.0), "activation": ACTIVATIONS},
        count_parameters=count_parameters,
        largest_map=largest_map,
        lesson="8.1",
    )
)
