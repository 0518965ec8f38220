"""GoogLeNet (d2l 8.4): a stem, then Inception blocks with four parallel branches whose outputs
are concatenated along the channels, global average pooling and one linear layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from cnnviz.errors import KeyedText
from cnnviz.models.base import MAX_CHANNELS, SpecError, check_bool, check_int, rows_of, shrink
from cnnviz.models.registry import Family, Field, register

COLUMNS = ("stage", "c1", "c2_1", "c2_2", "c3_1", "c3_2", "c4")
BOOK_BLOCKS = (
    # b3: two Inception blocks, then a 3×3/2 max-pool
    (3, 64, 96, 128, 16, 32, 32), (3, 128, 128, 192, 32, 96, 64),
    # b4: five, then a max-pool
    (4, 192, 96, 208, 16, 48, 64), (4, 160, 112, 224, 24, 64, 64),
    (4, 128, 128, 256, 24, 64, 64), (4, 112, 144, 288, 32, 64, 64),
    (4, 256, 160, 320, 32, 128, 128),
    # b5: two, then global average pooling
    (5, 256, 160, 320, 32, 128, 128), (5, 384, 192, 384, 48, 128, 128),
)  # fmt: skip


@dataclass(frozen=True)
class GoogLeNetSpec:
    """GoogLeNet, d2l 8.4 (``GoogleNet().layer_summary((1, 1, 96, 96))``)."""

    family: ClassVar[str] = "googlenet"
    # One row per Inception block: (stage 3, 4 or 5, c1, c2 = (c2_1, c2_2), c3 = (c3_1, c3_2),
    # c4) as d2l's Inception(c1, c2, c3, c4): branch 1 a 1×1 conv; branch 2 a 1×1 reduction
    # to c2_1 then a 3×3 conv; branch 3 a 1×1 reduction to c3_1 then a 5×5 conv; branch 4 a
    # 3×3 max-pool then a 1×1 conv. Stages 3 and 4 end with a 3×3/2 max-pool.
    blocks: tuple[tuple[int, ...], ...] = BOOK_BLOCKS
    stem_channels: int = 64  # b1's 7×7/2 convolution (and b2's 1×1)
    b2_channels: int = 192  # b2's 3×3 convolution
    reductions: bool = True  # False: branches 2 and 3 without their 1×1 reductions
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 96
    lr: float = 0.01  # d2l trains GoogLeNet with lr 0.01


class Inception(nn.Module):
    """d2l 8.4 ``Inception`` (eager: ``in_channels`` first); ``reductions=False`` drops the
    1×1 convolutions before the 3×3 and 5×5 ones. ``branches`` names each branch's layers,
    for the diagram."""

    def __init__(self, in_channels, c1, c2, c3, c4, reductions: bool = True):
        super().__init__()
        self.b1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.reductions = reductions
        if reductions:
            self.b2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = nn.Conv2d(c2[0] if reductions else in_channels, c2[1], 3, padding=1)
        if reductions:
            self.b3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = nn.Conv2d(c3[0] if reductions else in_channels, c3[1], 5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
        self.branches = (
            ("1×1", ("b1_1",)),
            ("3×3", ("b2_1", "b2_2") if reductions else ("b2_2",)),
            ("5×5", ("b3_1", "b3_2") if reductions else ("b3_2",)),
            ("pool", ("b4_1", "b4_2")),
        )

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        if self.reductions:
            b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
            b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        else:
            b2 = F.relu(self.b2_2(x))
            b3 = F.relu(self.b3_2(x))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def out_channels(row) -> int:
    _, c1, _, c2, _, c3, c4 = row
    return c1 + c2 + c3 + c4


def build(spec: GoogLeNetSpec) -> nn.Sequential:
    """d2l 8.4 ``GoogleNet``: b1 (stem), b2, then b3, b4, b5 of Inception blocks, a linear."""
    s0, s2 = spec.stem_channels, spec.b2_channels
    b1 = nn.Sequential(
        nn.Conv2d(spec.in_channels, s0, kernel_size=7, stride=2, padding=3),
        nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )  # fmt: skip
    b2 = nn.Sequential(
        nn.Conv2d(s0, s0, kernel_size=1), nn.ReLU(),
        nn.Conv2d(s0, s2, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )  # fmt: skip
    stages, c = [], s2
    for stage in (3, 4, 5):
        layers = []
        for row in (r for r in spec.blocks if r[0] == stage):
            _, c1, c21, c22, c31, c32, c4 = row
            layers.append(Inception(c, c1, (c21, c22), (c31, c32), c4, spec.reductions))
            c = out_channels(row)
        if stage < 5:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        else:
            layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()]
        stages.append(nn.Sequential(*layers))
    return nn.Sequential(b1, b2, *stages, nn.Linear(c, spec.num_classes))


def check(spec: GoogLeNetSpec) -> None:
    blocks = rows_of("blocks", spec.blocks, COLUMNS, {"stage": 5})
    stages = [r[0] for r in blocks]
    if any(s not in (3, 4, 5) for s in stages) or stages != sorted(stages):
        raise SpecError(
            f"every Inception block's stage must be 3, 4 or 5, in order, got {stages}.",
            "spec.googlenet_stages", stages=str(stages),
        )  # fmt: skip
    check_int("stem_channels", spec.stem_channels, 1, MAX_CHANNELS)
    check_int("b2_channels", spec.b2_channels, 1, MAX_CHANNELS)
    check_bool("reductions", spec.reductions)
    size = spec.input_size
    hint = KeyedText("a larger input (GoogLeNet halves it five times)", "hint.googlenet")
    n = shrink("b1", size, 7, 3, 2, spec.in_channels, size, hint)
    n = shrink(KeyedText("b1's max-pool", "stage.pool_of", name="b1"), n, 3, 1, 2,
               spec.stem_channels, size, hint)  # fmt: skip
    n = shrink(KeyedText("b2's max-pool", "stage.pool_of", name="b2"), n, 3, 1, 2,
               spec.b2_channels, size, hint)  # fmt: skip
    n = shrink(KeyedText("b3's max-pool", "stage.pool_of", name="b3"), n, 3, 1, 2,
               spec.b2_channels, size, hint)  # fmt: skip
    shrink(KeyedText("b4's max-pool", "stage.pool_of", name="b4"), n, 3, 1, 2,
           spec.b2_channels, size, hint)  # fmt: skip


def count_parameters(spec: GoogLeNetSpec) -> int:
    s0, s2 = spec.stem_channels, spec.b2_channels
    total = (spec.in_channels * 49 + 1) * s0 + (s0 + 1) * s0 + (s0 * 9 + 1) * s2
    c = s2
    for _, c1, c21, c22, c31, c32, c4 in spec.blocks:
        if spec.reductions:
            b2 = (c + 1) * c21 + (c21 * 9 + 1) * c22
            b3 = (c + 1) * c31 + (c31 * 25 + 1) * c32
        else:
            b2, b3 = (c * 9 + 1) * c22, (c * 25 + 1) * c32
        total += (c + 1) * c1 + b2 + b3 + (c + 1) * c4
        c = c1 + c22 + c32 + c4
    return total + (c + 1) * spec.num_classes


def largest_map(spec: GoogLeNetSpec):
    """The stem's map or the widest Inception output (sides halve at each stage)."""
    n = (spec.input_size + 6 - 7) // 2 + 1
    best = (spec.stem_channels * n * n, "b1", (spec.stem_channels, n, n))
    n = (n + 2 - 3) // 2 + 1
    if spec.b2_channels * n * n > best[0]:
        best = (spec.b2_channels * n * n, "b2", (spec.b2_channels, n, n))
    for stage in (3, 4, 5):
        n = (n + 2 - 3) // 2 + 1  # the max-pool that ends the previous stage
        for row in (r for r in spec.blocks if r[0] == stage):
            c = max(out_channels(row), *row[1:])
            if c * n * n > best[0]:
                best = (c * n * n, f"b{stage}", (c, n, n))
    return best


def code(spec: GoogLeNetSpec) -> str:
    s0, s2 = spec.stem_channels, spec.b2_channels
    stages, c = [], s2
    for stage in (3, 4, 5):
        lines = []
        for row in (r for r in spec.blocks if r[0] == stage):
            _, c1, c21, c22, c31, c32, c4 = row
            lines.append(f"    Inception({c}, {c1}, ({c21}, {c22}), ({c31}, {c32}), {c4}),")
            c = out_channels(row)
        end = (
            "    nn.MaxPool2d(kernel_size=3, stride=2, padding=1))"
            if stage < 5
            else "    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())"
        )
        stages.append(f"b{stage} = nn.Sequential(\n" + "\n".join(lines + [end]))
    if spec.reductions:
        init = """        # Branch 1: a 1x1 convolution
        self.b1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        # Branch 2: a 1x1 convolution (reduction), then a 3x3 convolution
        self.b2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        # Branch 3: a 1x1 convolution (reduction), then a 5x5 convolution
        self.b3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)"""
        fwd = """        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))"""
        note = ""
    else:
        init = """        # Branch 1: a 1x1 convolution
        self.b1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        # Branches 2 and 3 without their 1x1 reductions: the 3x3 and 5x5 convolutions see
        # every input channel (c2[0] and c3[0] are unused)
        self.b2_2 = nn.Conv2d(in_channels, c2[1], kernel_size=3, padding=1)
        self.b3_2 = nn.Conv2d(in_channels, c3[1], kernel_size=5, padding=2)"""
        fwd = """        b2 = F.relu(self.b2_2(x))
        b3 = F.relu(self.b3_2(x))"""
        note = ", without the 1x1 reductions"
    return f'''

class Inception(nn.Module):
    """The Inception block (d2l 8.4){note}: four branches concatenated on the channels."""

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
{init}
        # Branch 4: a 3x3 max-pool, then a 1x1 convolution
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
{fwd}
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


# GoogLeNet (d2l 8.4) at {spec.input_size}x{spec.input_size}
b1 = nn.Sequential(
    nn.Conv2d({spec.in_channels}, {s0}, kernel_size=7, stride=2, padding=3),
    nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
b2 = nn.Sequential(
    nn.Conv2d({s0}, {s0}, kernel_size=1), nn.ReLU(),
    nn.Conv2d({s0}, {s2}, kernel_size=3, padding=1), nn.ReLU(),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
{chr(10).join(stages)}
net = nn.Sequential(b1, b2, b3, b4, b5, nn.Linear({c}, {spec.num_classes}))
'''


def _rows_to_spec(rows) -> tuple:
    return tuple(tuple(r) for r in rows)


FIELDS = (
    Field("blocks", "rows", columns=COLUMNS, to_spec=_rows_to_spec),
    Field("stem_channels", "int", 1, 512, line=1),
    Field("b2_channels", "int", 1, 1024, line=1),
    Field("reductions", "toggle", line=1),
)

WORDS = {
    "en": {
        "label": "GoogLeNet (8.4)",
        "fields": {
            "blocks": "Inception blocks: one row per block, d2l's Inception(c1, (c2_1, c2_2), "
            "(c3_1, c3_2), c4)",
            "stem_channels": "stem channels (b1)",
            "b2_channels": "b2 channels",
            "reductions": "1×1 reductions",
        },
        "help": {
            "blocks": "stage 3, 4 or 5 (stages 3 and 4 end with a max-pool, stage 5 with global "
            "average pooling); a block's output has c1 + c2_2 + c3_2 + c4 channels.",
            "reductions": "Off: the 3×3 and 5×5 convolutions see every input channel, without "
            "the 1×1 convolutions that shrink it first (many more parameters).",
        },
        "columns": {},
        "presets": {
            "GoogLeNet": "d2l 8.4: GoogLeNet at 96×96, nine Inception blocks, 6.0M parameters.",
            "GoogLeNet-small": "A CPU-sized GoogLeNet: a quarter of the channels, at 96×96.",
        },
        "errors": {
            "spec.googlenet_stages": "every Inception block's stage must be 3, 4 or 5, in "
            "order, got {stages}.",
            "stage.pool_of": "{name}'s max-pool",
            "hint.googlenet": "a larger input (GoogLeNet halves it five times)",
        },
    },
    "ko": {
        "label": "GoogLeNet (8.4)",
        "fields": {
            "blocks": "Inception 블록: 블록마다 한 행, d2l의 `Inception(c1, (c2_1, c2_2), "
            "(c3_1, c3_2), c4)`",
            "stem_channels": "스템 채널 수 (b1)",
            "b2_channels": "b2 채널 수",
            "reductions": "1×1 축소",
        },
        "help": {
            "blocks": "단계 (`stage`) 3, 4, 5 (단계 3과 4는 최대 풀링으로, 단계 5는 전역 평균 "
            "풀링으로 끝납니다). 블록의 출력 채널 수는 `c1 + c2_2 + c3_2 + c4`입니다.",
            "reductions": "끄면: 3×3과 5×5 합성곱이 먼저 채널을 줄이는 1×1 합성곱 없이 입력의 "
            "모든 채널을 봅니다 (파라미터가 훨씬 많아집니다).",
        },
        "columns": {},
        "presets": {
            "GoogLeNet": "d2l 8.4: 96×96의 GoogLeNet, Inception 블록 아홉 개, 파라미터 6.0M개.",
            "GoogLeNet-small": "채널 수를 4분의 1로 줄인 96×96의 CPU 크기 GoogLeNet.",
        },
        "errors": {
            "spec.googlenet_stages": "모든 Inception 블록의 단계는 차례대로 3, 4, 5 중 하나여야 "
            "합니다 (받은 값 {stages}).",
            "stage.pool_of": "{name}의 최대 풀링",
            "hint.googlenet": "더 큰 입력을 쓰세요 (GoogLeNet은 입력을 다섯 번 절반으로 줄입니다)",
        },
    },
}

QUARTER = tuple((r[0], *(max(1, c // 4) for c in r[1:])) for r in BOOK_BLOCKS)

FAMILY = register(
    Family(
        name="googlenet",
        spec=GoogLeNetSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.4: GoogLeNet on Fashion-MNIST resized to 96×96, lr 0.01.
            "GoogLeNet": GoogLeNetSpec(),
            # CPU-sized: every channel count ÷4.
            "GoogLeNet-small": GoogLeNetSpec(blocks=QUARTER, stem_channels=16, b2_channels=48),
        },
        words=WORDS,
        toggles={"reductions": (True, False)},
        count_parameters=count_parameters,
        largest_map=largest_map,
        branching=True,
        lesson="8.4",
    )
)
