"""LeNet-5 (d2l 7.6): two conv/pool stages, then three fully connected layers."""

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
    check_int,
    flat_features,
    make_activation,
    shrink,
)
from cnnviz.models.registry import Family, Field, register
from cnnviz.ops import out_size


@dataclass(frozen=True)
class LeNetSpec:
    """LeNet-5, d2l 7.6: two conv/pool stages, then three fully connected layers."""

    family: ClassVar[str] = "lenet"
    activation: str = "sigmoid"  # LeCun's; the seed's exercise swaps in "relu"
    pool: str = "avg"  # "avg" (LeCun's) or "max"
    channels: tuple[int, int] = (6, 16)  # output channels of conv1 and conv2
    kernel_size: int = 5  # both convolutions' window
    padding: int = 2  # conv1's padding (conv2 has none): 28×28 stays 28×28
    fc: tuple[int, int] = (120, 84)  # widths of the two hidden fully connected layers
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 28
    lr: float = 0.1  # d2l trains LeNet with lr 0.1


def build(spec: LeNetSpec) -> nn.Sequential:
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
    n = flat_features(nn.Sequential(*features), spec)
    f1, f2 = spec.fc
    return nn.Sequential(
        *features,
        nn.Linear(n, f1), make_activation(act),
        nn.Linear(f1, f2), make_activation(act),
        nn.Linear(f2, spec.num_classes),
    )  # fmt: skip


def check(spec: LeNetSpec) -> None:
    check_activation(spec.activation)
    if spec.pool not in ("avg", "max"):
        raise SpecError(f"pool must be 'avg' or 'max', got {spec.pool!r}.")
    if not isinstance(spec.channels, tuple | list) or len(spec.channels) != 2:
        raise SpecError(f"channels must be two numbers (conv1, conv2), got {spec.channels!r}.")
    if not isinstance(spec.fc, tuple | list) or len(spec.fc) != 2:
        raise SpecError(f"fc must be two numbers (fc1, fc2), got {spec.fc!r}.")
    c1 = check_int(KeyedText("conv1 channels", "field.channels", layer="conv1"),
                   spec.channels[0], 1, MAX_CHANNELS)  # fmt: skip
    c2 = check_int(KeyedText("conv2 channels", "field.channels", layer="conv2"),
                   spec.channels[1], 1, MAX_CHANNELS)  # fmt: skip
    k = check_int("kernel_size", spec.kernel_size, 1, 15)
    p = check_int("padding", spec.padding, 0, 7)
    check_int(KeyedText("fc1 width", "field.width", layer="fc1"), spec.fc[0], 1, MAX_FC)
    check_int(KeyedText("fc2 width", "field.width", layer="fc2"), spec.fc[1], 1, MAX_FC)
    size = spec.input_size
    hint = KeyedText("a smaller kernel_size or more padding", "hint.lenet")
    n = shrink("conv1", size, k, p, 1, spec.in_channels, size, hint)
    n = shrink("pool1", n, 2, 0, 2, c1, size, hint)
    n = shrink("conv2", n, k, 0, 1, c1, size, hint)
    shrink("pool2", n, 2, 0, 2, c2, size, hint)


def count_parameters(spec: LeNetSpec) -> int:
    c1, c2 = spec.channels
    k, size = spec.kernel_size, spec.input_size
    n = out_size(out_size(size, k, spec.padding) // 2, k) // 2
    f1, f2 = spec.fc
    ins = spec.in_channels
    return (
        (ins * k * k + 1) * c1 + (c1 * k * k + 1) * c2
        + (c2 * n * n + 1) * f1 + (f1 + 1) * f2 + (f2 + 1) * spec.num_classes
    )  # fmt: skip


def largest_map(spec: LeNetSpec):
    c1, c2 = spec.channels
    n1 = out_size(spec.input_size, spec.kernel_size, spec.padding)
    n2 = out_size(n1 // 2, spec.kernel_size)
    maps = [("conv1", (c1, n1, n1)), ("conv2", (c2, n2, n2))]
    name, shape = max(maps, key=lambda m: m[1][0] * m[1][1] * m[1][2])
    return shape[0] * shape[1] * shape[2], name, shape


def code(spec: LeNetSpec) -> str:
    act = ACTIVATION_CODE[spec.activation]
    pool = "nn.AvgPool2d" if spec.pool == "avg" else "nn.MaxPool2d"
    c1, c2 = spec.channels
    f1, f2 = spec.fc
    k = spec.kernel_size
    n = out_size(out_size(spec.input_size, k, spec.padding) // 2, k) // 2
    pad = f", padding={spec.padding}" if spec.padding else ""
    return f"""

# LeNet (d2l 7.6): {spec.activation} activations, {spec.pool} pooling
net = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {c1}, kernel_size={k}{pad}), {act},
    {pool}(kernel_size=2, stride=2),
    nn.Conv2d({c1}, {c2}, kernel_size={k}), {act},
    {pool}(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear({c2} * {n} * {n}, {f1}), {act},
    nn.Linear({f1}, {f2}), {act},
    nn.Linear({f2}, {spec.num_classes}))
"""


FIELDS = (
    Field("activation", "select", options=ACTIVATIONS, line=0),
    Field("pool", "radio", options=("avg", "max"), line=0),
    Field("c1", "int", 1, 256, field="channels", index=0, line=1),
    Field("c2", "int", 1, 256, field="channels", index=1, line=1),
    Field("kernel_size", "int", 1, 11, line=1),
    Field("padding", "int", 0, 5, line=1),
    Field("fc1", "int", 1, 4096, field="fc", index=0, line=2),
    Field("fc2", "int", 1, 4096, field="fc", index=1, line=2),
)

WORDS = {
    "en": {
        "label": "LeNet (7.6)",
        "fields": {
            "activation": "activation",
            "pool": "pool",
            "c1": "conv1 channels",
            "c2": "conv2 channels",
            "kernel_size": "kernel_size",
            "padding": "padding (conv1)",
            "fc1": "fc1 width",
            "fc2": "fc2 width",
        },
        "help": {},
        "presets": {
            "LeNet": "d2l 7.6: LeNet-5 as LeCun built it, sigmoid and average pooling.",
            "LeNet-ReLU": "The seed's exercise: LeNet with ReLU instead of sigmoid.",
        },
    },
    "ko": {
        "label": "LeNet (7.6)",
        "fields": {
            "activation": "활성화 함수 (`activation`)",
            "pool": "풀링 (`pool`)",
            "c1": "conv1 채널 수",
            "c2": "conv2 채널 수",
            "kernel_size": "커널 크기 (`kernel_size`)",
            "padding": "패딩 (conv1)",
            "fc1": "fc1 너비",
            "fc2": "fc2 너비",
        },
        "help": {},
        "presets": {
            "LeNet": "d2l 7.6: 르쿤이 만든 그대로의 LeNet-5, 시그모이드와 평균 풀링.",
            "LeNet-ReLU": "원본 노트의 연습: 시그모이드 대신 ReLU를 쓴 LeNet.",
        },
    },
}

FAMILY = register(
    Family(
        name="lenet",
        spec=LeNetSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 7.6, LeNet as LeCun built it: sigmoid and average pooling.
            "LeNet": LeNetSpec(),
            # The seed's exercise: ReLU instead of sigmoid.
            "LeNet-ReLU": LeNetSpec(activation="relu"),
        },
        words=WORDS,
        toggles={"activation": ACTIVATIONS},
        count_parameters=count_parameters,
        largest_map=largest_map,
        min_input_size=lambda spec: spec.input_size,
        scalable=False,
        lesson="7.6",
    )
)
