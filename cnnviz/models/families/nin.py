"""Network in Network (d2l 8.3): NiN blocks (a convolution and two 1×1 convolutions), max-pools,
and global average pooling instead of fully connected layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from cnnviz.errors import KeyedText
from cnnviz.models.base import check_choice, check_fraction, rows_of, shrink
from cnnviz.models.registry import Family, Field, register

COLUMNS = ("channels", "kernel_size", "stride", "padding")


@dataclass(frozen=True)
class NiNSpec:
    """NiN, d2l 8.3 (``NiN().layer_summary((1, 1, 224, 224))``)."""

    family: ClassVar[str] = "nin"
    # One row per NiN block before the classifier, each followed by a 3×3/2 max-pool:
    # (channels, kernel_size, stride, padding) of its first convolution.
    arch: tuple[tuple[int, int, int, int], ...] = ((96, 11, 4, 0), (256, 5, 1, 2), (384, 3, 1, 1))
    dropout: float = 0.5  # before the last NiN block
    # "gap": the book's last NiN block with num_classes channels, then global average
    # pooling; "fc": a fully connected layer on the flattened map instead (the comparison).
    head: str = "gap"
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 224
    lr: float = 0.05  # d2l trains NiN with lr 0.05


def nin_block(in_channels: int, out_channels: int, kernel_size: int, strides: int, padding: int):
    """d2l 8.3 ``nin_block``: a convolution, then two 1×1 convolutions, each with ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )  # fmt: skip


def _sides(spec: NiNSpec) -> list[int]:
    """The side after each block's max-pool, checked stage by stage."""
    size, n, c, out = spec.input_size, spec.input_size, spec.in_channels, []
    hint = KeyedText("fewer NiN blocks or a smaller first stride", "hint.nin")
    for i, (channels, k, s, p) in enumerate(spec.arch, start=1):
        stage = KeyedText(f"NiN block {i}", "stage.nin_block", i=i)
        n = shrink(stage, n, k, p, s, c, size, hint)
        pool = KeyedText(f"the max-pool after NiN block {i}", "stage.nin_pool", i=i)
        n = shrink(pool, n, 3, 0, 2, channels, size, hint)
        c = channels
        out.append(n)
    return out


def build(spec: NiNSpec) -> nn.Sequential:
    """d2l 8.3 ``NiN``: the blocks of ``arch``, each with a max-pool; dropout; the head."""
    layers, c = [], spec.in_channels
    for channels, k, s, p in spec.arch:
        layers += [nin_block(c, channels, k, s, p), nn.MaxPool2d(3, stride=2)]
        c = channels
    layers.append(nn.Dropout(spec.dropout))
    if spec.head == "gap":
        layers += [
            nin_block(c, spec.num_classes, kernel_size=3, strides=1, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
        ]
    else:
        n = _sides(spec)[-1]
        layers += [nn.Flatten(), nn.Linear(c * n * n, spec.num_classes)]
    return nn.Sequential(*layers)


def check(spec: NiNSpec) -> None:
    rows_of("arch", spec.arch, COLUMNS, {"kernel_size": 15, "stride": 8, "padding": -7})
    check_fraction("dropout", spec.dropout)
    check_choice("head", spec.head, ("gap", "fc"))
    _sides(spec)


def count_parameters(spec: NiNSpec) -> int:
    total, c = 0, spec.in_channels
    for channels, k, _, _ in spec.arch:
        total += (c * k * k + 1) * channels + 2 * (channels + 1) * channels
        c = channels
    q = spec.num_classes
    if spec.head == "gap":
        return total + (c * 9 + 1) * q + 2 * (q + 1) * q
    n = _sides(spec)[-1]
    return total + (c * n * n + 1) * q


def largest_map(spec: NiNSpec):
    """The largest block output (each block's three convolutions keep its size)."""
    n, best = spec.input_size, (0, "", (0, 0, 0))
    pooled_sides = _sides(spec)
    for i, (channels, k, st, p) in enumerate(spec.arch, start=1):
        pooled = pooled_sides[i - 1]
        n = (n + 2 * p - k) // st + 1
        if channels * n * n > best[0]:
            stage = KeyedText(f"NiN block {i}", "stage.nin_block", i=i)
            best = (channels * n * n, stage, (channels, n, n))
        n = pooled
    return best


def code(spec: NiNSpec) -> str:
    c = spec.arch[-1][0]
    if spec.head == "gap":
        head = f"""    nin_block({c}, {spec.num_classes}, kernel_size=3, strides=1, padding=1),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten())"""
    else:
        n = _sides(spec)[-1]
        head = f"""    nn.Flatten(),
    nn.Linear({c} * {n} * {n}, {spec.num_classes}))  # a fully connected head, not NiN's"""
    blocks = []
    ins = spec.in_channels
    for channels, k, s, p in spec.arch:
        blocks.append(f"    nin_block({ins}, {channels}, kernel_size={k}, strides={s}, "
                      f"padding={p}),\n    nn.MaxPool2d(3, stride=2),")  # fmt: skip
        ins = channels
    body = "\n".join(blocks)
    return f'''

def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    """d2l 8.3: a convolution, then two 1x1 convolutions (a per-pixel MLP), each with ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


# NiN (d2l 8.3) at {spec.input_size}x{spec.input_size}
net = nn.Sequential(
{body}
    nn.Dropout({spec.dropout}),
{head}
'''


FIELDS = (
    Field("nin_arch", "rows", field="arch", columns=COLUMNS),
    Field("dropout", "slider", 0.0, 0.9, 0.05, line=1),
    Field("head", "radio", options=("gap", "fc"), line=1),
)

WORDS = {
    "en": {
        "label": "NiN (8.3)",
        "fields": {
            "nin_arch": "arch: one row per NiN block (each followed by a 3×3 max-pool, stride 2)",
            "dropout": "dropout",
            "head": "head",
        },
        "help": {
            "nin_arch": "The last block (num_classes channels, 3×3) and global average pooling "
            "follow these.",
            "head": "gap: NiN's last block and global average pooling (no fully connected "
            "layer). fc: a fully connected layer on the flattened map instead.",
        },
        "columns": {"channels": "channels"},
        "presets": {
            "NiN": "d2l 8.3: NiN at 224×224: no fully connected layer, global average "
            "pooling over ten channels, 2.0M parameters.",
            "NiN-small": "A CPU-sized NiN at 96×96 with a quarter of the channels.",
        },
        "errors": {
            "stage.nin_block": "NiN block {i}",
            "stage.nin_pool": "the max-pool after NiN block {i}",
            "hint.nin": "fewer NiN blocks or a smaller first stride",
        },
    },
    "ko": {
        "label": "NiN (8.3)",
        "fields": {
            "nin_arch": "`arch`: NiN 블록마다 한 행 (블록마다 뒤에 스트라이드 2의 3×3 최대 풀링)",
            "dropout": "드롭아웃 (`dropout`)",
            "head": "출력부 (`head`)",
        },
        "help": {
            "nin_arch": "이 블록들 뒤에 마지막 블록 (`num_classes` 채널, 3×3)과 전역 평균 풀링이 "
            "옵니다.",
            "head": "`gap`: NiN의 마지막 블록과 전역 평균 풀링 (완전 연결 층 없음). `fc`: 대신 "
            "펼친 맵 위의 완전 연결 층 하나.",
        },
        "columns": {"channels": "채널 수"},
        "presets": {
            "NiN": "d2l 8.3: 224×224의 NiN: 완전 연결 층 없이 채널 열 개에 대한 전역 평균 풀링, "
            "파라미터 2.0M개.",
            "NiN-small": "채널 수를 4분의 1로 줄인 96×96의 CPU 크기 NiN.",
        },
        "errors": {
            "stage.nin_block": "NiN 블록 {i}",
            "stage.nin_pool": "NiN 블록 {i} 뒤의 최대 풀링",
            "hint.nin": "NiN 블록을 줄이거나 첫 번째 스트라이드를 줄이세요",
        },
    },
}

FAMILY = register(
    Family(
        name="nin",
        spec=NiNSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.3: NiN on Fashion-MNIST resized to 224×224, lr 0.05.
            "NiN": NiNSpec(),
            # CPU-sized: channels ÷4 at 96×96 (the same stages end at 1×1).
            "NiN-small": NiNSpec(
                arch=((24, 11, 4, 0), (64, 5, 1, 2), (96, 3, 1, 1)), input_size=96
            ),  # fmt: skip
        },
        words=WORDS,
        toggles={"head": ("gap", "fc"), "dropout": (0.5, 0.0)},
        count_parameters=count_parameters,
        largest_map=largest_map,
        lesson="8.3",
    )
)
