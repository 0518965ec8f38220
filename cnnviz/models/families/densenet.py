"""DenseNet (d2l 8.7): dense blocks, in which every convolution block's output is
concatenated to its input along the channels, and transition layers that halve the channels
and the side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from cnnviz.errors import KeyedText
from cnnviz.models.base import MAX_CHANNELS, MAX_STAGES, check_int, rows_of, shrink
from cnnviz.models.registry import Family, Field, register


@dataclass(frozen=True)
class DenseNetSpec:
    """DenseNet, d2l 8.7 (``DenseNet(lr=0.01)`` at 96×96)."""

    family: ClassVar[str] = "densenet"
    num_channels: int = 64  # the stem's (b1's) output channels
    growth_rate: int = 32  # channels each convolution block adds to the concatenation
    arch: tuple[int, ...] = (4, 4, 4, 4)  # convolution blocks in each dense block
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 96
    lr: float = 0.01  # d2l trains DenseNet with lr 0.01


def conv_block(in_channels: int, num_channels: int) -> nn.Sequential:
    """d2l 8.7 ``conv_block``: batch norm, ReLU, 3×3 convolution (pre-activation)."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels), nn.ReLU(),
        nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1),
    )  # fmt: skip


class DenseBlock(nn.Module):
    """d2l 8.7 ``DenseBlock``: each block's output is concatenated to its input.
    ``branches`` names what is concatenated (the input, then each block), for the diagram."""

    def __init__(self, num_convs: int, in_channels: int, num_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            *(conv_block(in_channels + i * num_channels, num_channels) for i in range(num_convs))
        )
        self.branches = (("input", ()), *((f"conv {i + 1}", (f"net.{i}",))
                                          for i in range(num_convs)))  # fmt: skip

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(in_channels: int, num_channels: int) -> nn.Sequential:
    """d2l 8.7 ``transition_block``: batch norm, ReLU, 1×1 convolution, 2×2 average pool."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels), nn.ReLU(),
        nn.Conv2d(in_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )  # fmt: skip


def _stages(spec: DenseNetSpec) -> list[tuple[int, int]]:
    """(channels after the dense block, channels after its transition or None) per block."""
    out, c = [], spec.num_channels
    for i, num_convs in enumerate(spec.arch):
        c += num_convs * spec.growth_rate
        after = c // 2 if i != len(spec.arch) - 1 else None
        out.append((c, after))
        c = after if after is not None else c
    return out


def build(spec: DenseNetSpec) -> nn.Sequential:
    """d2l 8.7 ``DenseNet``: b1, dense blocks with transitions between them, then the head."""
    c0 = spec.num_channels
    net = nn.Sequential()
    net.add_module("b1", nn.Sequential(
        nn.Conv2d(spec.in_channels, c0, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(c0), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    ))  # fmt: skip
    c = c0
    for i, (num_convs, (dense, trans)) in enumerate(zip(spec.arch, _stages(spec), strict=True)):
        net.add_module(f"dense_blk{i + 1}", DenseBlock(num_convs, c, spec.growth_rate))
        c = dense
        if trans is not None:
            net.add_module(f"tran_blk{i + 1}", transition_block(c, trans))
            c = trans
    net.add_module("last", nn.Sequential(
        nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.Linear(c, spec.num_classes),
    ))  # fmt: skip
    return net


def _as_rows(arch) -> tuple:
    return tuple((n,) for n in arch) if isinstance(arch, tuple | list) else arch


def check(spec: DenseNetSpec) -> None:
    check_int("num_channels", spec.num_channels, 1, MAX_CHANNELS)
    check_int("growth_rate", spec.growth_rate, 1, 512)
    arch = spec.arch
    rows_of("arch", _as_rows(arch) if isinstance(arch, tuple | list) else arch, ("num_convs",),
            {"num_convs": 16})  # fmt: skip
    if len(arch) > MAX_STAGES:
        check_int("len(arch)", len(arch), 1, MAX_STAGES)
    size = spec.input_size
    hint = KeyedText("fewer dense blocks (each transition halves the map)", "hint.densenet")
    n = shrink("b1", size, 7, 3, 2, spec.in_channels, size, hint)
    n = shrink(KeyedText("b1's max-pool", "stage.pool_of", name="b1"), n, 3, 1, 2,
               spec.num_channels, size, hint)  # fmt: skip
    for i, (_, trans) in enumerate(_stages(spec), start=1):
        if trans is not None:
            stage = KeyedText(f"transition block {i}", "stage.densenet_transition", i=i)
            n = shrink(stage, n, 2, 0, 2, trans, size, hint)


def count_parameters(spec: DenseNetSpec) -> int:
    c, g = spec.num_channels, spec.growth_rate
    total = (spec.in_channels * 49 + 1) * c + 2 * c
    for num_convs, (_, trans) in zip(spec.arch, _stages(spec), strict=True):
        for _ in range(num_convs):
            total += 2 * c + (c * 9 + 1) * g
            c += g
        if trans is not None:
            total += 2 * c + (c + 1) * trans
            c = trans
    return total + 2 * c + (c + 1) * spec.num_classes


def largest_map(spec: DenseNetSpec):
    """The stem's map or the widest concatenation (each transition halves the side)."""
    n = (spec.input_size + 6 - 7) // 2 + 1
    best = (spec.num_channels * n * n, "b1", (spec.num_channels, n, n))
    n = (n + 2 - 3) // 2 + 1
    for i, (dense, trans) in enumerate(_stages(spec), start=1):
        if dense * n * n > best[0]:
            best = (dense * n * n, f"dense_blk{i}", (dense, n, n))
        if trans is not None:
            n //= 2
    return best


def code(spec: DenseNetSpec) -> str:
    return f'''

def conv_block(in_channels, num_channels):
    """d2l 8.7: batch norm, ReLU, then a 3x3 convolution."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels), nn.ReLU(),
        nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """d2l 8.7: each conv_block's output is concatenated to its input."""

    def __init__(self, num_convs, in_channels, num_channels):
        super().__init__()
        self.net = nn.Sequential(*(
            conv_block(in_channels + i * num_channels, num_channels) for i in range(num_convs)))

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(in_channels, num_channels):
    """d2l 8.7: halve the channels (1x1 convolution) and the side (2x2 average pool)."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels), nn.ReLU(),
        nn.Conv2d(in_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


# DenseNet (d2l 8.7) at {spec.input_size}x{spec.input_size}
num_channels, growth_rate, arch = {spec.num_channels}, {spec.growth_rate}, {spec.arch!r}
net = nn.Sequential()
net.add_module("b1", nn.Sequential(
    nn.Conv2d({spec.in_channels}, num_channels, kernel_size=7, stride=2, padding=3),
    nn.BatchNorm2d(num_channels), nn.ReLU(),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
for i, num_convs in enumerate(arch):
    net.add_module(f"dense_blk{{i + 1}}", DenseBlock(num_convs, num_channels, growth_rate))
    # The number of output channels in the previous dense block
    num_channels += num_convs * growth_rate
    # A transition layer that halves the number of channels is added between the dense blocks
    if i != len(arch) - 1:
        net.add_module(f"tran_blk{{i + 1}}", transition_block(num_channels, num_channels // 2))
        num_channels //= 2
net.add_module("last", nn.Sequential(
    nn.BatchNorm2d(num_channels), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
    nn.Linear(num_channels, {spec.num_classes})))
'''


FIELDS = (
    Field(
        "dense_arch",
        "rows",
        field="arch",
        columns=("num_convs",),
        from_spec=_as_rows,
        to_spec=lambda rows: tuple(r[0] for r in rows),
    ),  # fmt: skip
    Field("num_channels", "int", 1, 512, line=1),
    Field("growth_rate", "int", 1, 256, line=1),
)

WORDS = {
    "en": {
        "label": "DenseNet (8.7)",
        "fields": {
            "dense_arch": "arch: one row per dense block (a transition block between two)",
            "num_channels": "stem channels (num_channels)",
            "growth_rate": "growth_rate",
        },
        "help": {
            "dense_arch": "Each of a dense block's convolution blocks adds growth_rate channels "
            "to the concatenation; each transition halves the channels and the side.",
            "growth_rate": "The channels each convolution block adds (d2l: 32).",
        },
        "columns": {},
        "presets": {
            "DenseNet": "d2l 8.7: DenseNet at 96×96, four dense blocks of four convolution "
            "blocks, growth rate 32, 0.76M parameters.",
            "DenseNet-small": "A CPU-sized DenseNet: two convolution blocks per dense block, "
            "growth rate 16, stem 32, at 96×96.",
        },
        "errors": {
            "stage.densenet_transition": "transition block {i}",
            "hint.densenet": "fewer dense blocks (each transition halves the map)",
        },
    },
    "ko": {
        "label": "DenseNet (8.7)",
        "fields": {
            "dense_arch": "`arch`: 조밀 블록마다 한 행 (두 블록 사이에 전이 블록)",
            "num_channels": "스템 채널 수 (`num_channels`)",
            "growth_rate": "성장률 (`growth_rate`)",
        },
        "help": {
            "dense_arch": "조밀 블록의 합성곱 블록은 저마다 `growth_rate`개의 채널을 연결에 "
            "더합니다. 전이 블록은 채널 수와 크기를 절반으로 줄입니다.",
            "growth_rate": "합성곱 블록마다 더하는 채널 수 (d2l: 32).",
        },
        "columns": {},
        "presets": {
            "DenseNet": "d2l 8.7: 96×96의 DenseNet, 합성곱 블록 네 개씩인 조밀 블록 네 개, "
            "성장률 32, 파라미터 0.76M개.",
            "DenseNet-small": "CPU 크기의 DenseNet: 조밀 블록마다 합성곱 블록 두 개, 성장률 16, "
            "스템 32, 96×96.",
        },
        "errors": {
            "stage.densenet_transition": "전이 블록 {i}",
            "hint.densenet": "조밀 블록을 줄이세요 (전이 블록마다 맵이 절반이 됩니다)",
        },
    },
}

FAMILY = register(
    Family(
        name="densenet",
        spec=DenseNetSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.7: DenseNet on Fashion-MNIST resized to 96×96, lr 0.01.
            "DenseNet": DenseNetSpec(),
            # CPU-sized: two convolution blocks per dense block, growth 16, stem 32.
            "DenseNet-small": DenseNetSpec(num_channels=32, growth_rate=16, arch=(2, 2, 2, 2)),
        },
        words=WORDS,
        toggles={"growth_rate": (32, 16)},
        count_parameters=count_parameters,
        largest_map=largest_map,
        branching=True,
        lesson="8.7",
    )
)
