"""ResNet and ResNeXt (d2l 8.6): a stem, stages of residual blocks, global average pooling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn
from torch.nn import functional as F

from cnnviz.errors import KeyedText
from cnnviz.models.base import (
    MAX_CHANNELS,
    STEM,
    SpecError,
    check_int,
    pairs,
)
from cnnviz.models.registry import Family, Field, register
from cnnviz.ops import out_size


@dataclass(frozen=True)
class ResNetSpec:
    """ResNet, d2l 8.6: ``arch`` is ((num_residuals, num_channels), ...), one stage each.

    ``batch_norm`` and ``skip`` switch off the two ingredients the seed ablates; ``stem`` is
    d2l's 7×7/2 conv + 3×3/2 max-pool ("d2l") or a 3×3/1 conv without pooling ("small"),
    which suits 28×28 inputs. ``block="resnext"`` uses d2l's ``ResNeXtBlock`` (a 1×1
    bottleneck, a grouped 3×3 convolution, a 1×1 expansion) instead of ``Residual``.
    """

    family: ClassVar[str] = "resnet"
    # One row per stage: (residual blocks, their channels); ResNet-18's.
    arch: tuple[tuple[int, int], ...] = ((2, 64), (2, 128), (2, 256), (2, 512))
    batch_norm: bool = True
    skip: bool = True
    stem: str = "d2l"
    stem_channels: int = 64
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 96
    lr: float = 0.01
    block: str = "residual"  # "residual" (d2l's Residual) or "resnext" (ResNeXtBlock)
    # ResNeXt only, as d2l's ResNeXtBlock(num_channels, groups, bot_mul) takes them: the 3×3
    # convolution has bot_channels // groups groups, where bot_channels = channels · bot_mul
    # (so ``groups`` is the channels per group, 16 in the book's example).
    groups: int = 16
    bot_mul: float = 1.0


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


def bot_channels(num_channels: int, bot_mul: float) -> int:
    return int(round(num_channels * bot_mul))


class ResNeXtBlock(nn.Module):
    """d2l 8.6 ``ResNeXtBlock`` (made eagerly: ``in_channels`` first), with the same two
    switches as :class:`Residual`."""

    def __init__(
        self,
        in_channels: int,
        num_channels: int,
        groups: int,
        bot_mul: float,
        use_1x1conv: bool = False,
        strides: int = 1,
        batch_norm: bool = True,
        skip: bool = True,
    ):
        super().__init__()
        bot = bot_channels(num_channels, bot_mul)
        self.conv1 = nn.Conv2d(in_channels, bot, kernel_size=1, stride=1)
        self.conv2 = nn.Conv2d(bot, bot, kernel_size=3, stride=strides, padding=1,
                               groups=bot // groups)  # fmt: skip
        self.conv3 = nn.Conv2d(bot, num_channels, kernel_size=1, stride=1)
        norm = nn.BatchNorm2d if batch_norm else (lambda c: nn.Identity())
        self.bn1, self.bn2, self.bn3 = norm(bot), norm(bot), norm(num_channels)
        if use_1x1conv and skip:
            self.conv4 = nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
            self.bn4 = norm(num_channels)
        else:
            self.conv4 = None
        self.skip = skip

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if not self.skip:
            return F.relu(Y)
        if self.conv4 is not None:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


def _block(spec: ResNetSpec, c: int, num_channels: int, use_1x1conv: bool, strides: int):
    if spec.block == "resnext":
        return ResNeXtBlock(c, num_channels, spec.groups, spec.bot_mul, use_1x1conv, strides,
                            spec.batch_norm, spec.skip)  # fmt: skip
    return Residual(c, num_channels, use_1x1conv, strides, spec.batch_norm, spec.skip)


def build(spec: ResNetSpec) -> nn.Sequential:
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
                blk.append(_block(spec, c, num_channels, True, 2))
            else:
                blk.append(_block(spec, c, num_channels, c != num_channels, 1))
            c = num_channels
        net.add_module(f"b{i + 2}", nn.Sequential(*blk))
    net.add_module(
        "last",
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c, spec.num_classes)),
    )
    return net


def check(spec: ResNetSpec) -> None:
    arch = pairs("arch", spec.arch, "num_residuals")
    if spec.stem not in ("d2l", "small"):
        raise SpecError(f"stem must be 'd2l' or 'small', got {spec.stem!r}.")
    check_int("stem_channels", spec.stem_channels, 1, MAX_CHANNELS)
    for name in ("batch_norm", "skip"):
        if not isinstance(getattr(spec, name), bool):
            raise SpecError(f"{name} must be True or False, got {getattr(spec, name)!r}.")
    if spec.block not in ("residual", "resnext"):
        raise SpecError(f"block must be 'residual' or 'resnext', got {spec.block!r}.")
    if spec.block == "resnext":
        groups = check_int("groups", spec.groups, 1, MAX_CHANNELS)
        b = spec.bot_mul
        if isinstance(b, bool) or not isinstance(b, int | float) or not 0 < b <= 4:
            raise SpecError(f"bot_mul must be above 0 and at most 4, got {b!r}.",
                            "spec.bot_mul", value=repr(b))  # fmt: skip
        for i, (_, c) in enumerate(arch, start=1):
            bot = bot_channels(c, b)
            if bot < groups or bot % groups:
                raise SpecError(
                    f"ResNeXt stage {i}: its {bot} bottleneck channels (channels {c} × bot_mul "
                    f"{b:g}) must be a multiple of groups = {groups} (the channels per group).",
                    "spec.resnext_groups", i=i, bot=bot, c=c, mul=f"{b:g}", groups=groups,
                )  # fmt: skip
    # Every ResNet stage uses padding, so sizes stay ≥ 1; nothing can shrink below 1×1.


def count_parameters(spec: ResNetSpec) -> int:
    c0 = spec.stem_channels
    k = 7 if spec.stem == "d2l" else 3
    bn = 2 if spec.batch_norm else 0
    total = (spec.in_channels * k * k + 1) * c0 + bn * c0
    c = c0
    for i, (num_residuals, num_channels) in enumerate(spec.arch):
        for j in range(num_residuals):
            projection = spec.skip and ((j == 0 and i != 0) or c != num_channels)
            if spec.block == "resnext":
                bot = bot_channels(num_channels, spec.bot_mul)
                per_group = bot // (bot // spec.groups)
                total += (c + 1) * bot + (per_group * 9 + 1) * bot + (bot + 1) * num_channels
                total += bn * (2 * bot + num_channels)
                if projection:
                    total += (c + 1) * num_channels + bn * num_channels
            else:
                total += (c * 9 + 1) * num_channels + (num_channels * 9 + 1) * num_channels
                total += 2 * bn * num_channels
                if projection:
                    total += (c + 1) * num_channels
            c = num_channels
    return total + (c + 1) * spec.num_classes


def largest_map(spec: ResNetSpec):
    maps, size = [], spec.input_size
    if spec.stem == "d2l":
        n = out_size(size, 7, 3, 2)
        maps.append((STEM, (spec.stem_channels, n, n)))
        n = out_size(n, 3, 1, 2)
    else:
        n = size
        maps.append((STEM, (spec.stem_channels, n, n)))
    for i, (_, c) in enumerate(spec.arch):
        n = out_size(n, 3, 1, 2) if i else n
        if spec.block == "resnext":
            c = max(c, bot_channels(c, spec.bot_mul))
        maps.append((KeyedText(f"ResNet stage {i + 1}", "stage.resnet", i=i + 1), (c, n, n)))
    name, shape = max(maps, key=lambda m: m[1][0] * m[1][1] * m[1][2])
    return shape[0] * shape[1] * shape[2], name, shape


def _residual_code(spec: ResNetSpec) -> list[str]:
    bn, skip = spec.batch_norm, spec.skip
    variant = []
    if not bn:
        variant.append("without batch norm")
    if not skip:
        variant.append("without skip connections")
    lines = [
        "",
        "",
        "class Residual(nn.Module):",
        f'    """The Residual block of ResNet models (d2l 8.6){", " if variant else ""}'
        f'{" and ".join(variant)}."""',
        "",
    ]
    if skip:
        lines += [
            "    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):",
        ]
    else:
        lines += ["    def __init__(self, in_channels, num_channels, strides=1):"]
    lines += [
        "        super().__init__()",
        "        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1,",
        "                               stride=strides)",
        "        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)",
    ]
    if skip:
        lines += [
            "        if use_1x1conv:",
            "            self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1,",
            "                                   stride=strides)",
            "        else:",
            "            self.conv3 = None",
        ]
    if bn:
        lines += [
            "        self.bn1 = nn.BatchNorm2d(num_channels)",
            "        self.bn2 = nn.BatchNorm2d(num_channels)",
        ]
    lines += ["", "    def forward(self, X):"]
    if bn:
        lines += [
            "        Y = F.relu(self.bn1(self.conv1(X)))",
            "        Y = self.bn2(self.conv2(Y))",
        ]
    else:
        lines += ["        Y = F.relu(self.conv1(X))", "        Y = self.conv2(Y)"]
    if skip:
        lines += ["        if self.conv3:", "            X = self.conv3(X)", "        Y += X"]
    lines += ["        return F.relu(Y)", "", ""]
    return lines


def _resnext_code(spec: ResNetSpec) -> list[str]:
    bn, skip = spec.batch_norm, spec.skip
    b = (lambda name, c: f"nn.BatchNorm2d({c})") if bn else (lambda name, c: "nn.Identity()")
    variant = [w for w, on in (("without batch norm", not bn),
                               ("without skip connections", not skip)) if on]  # fmt: skip
    lines = [
        "",
        "",
        "class ResNeXtBlock(nn.Module):",
        f'    """The ResNeXt block (d2l 8.6){", " if variant else ""}{" and ".join(variant)}."""',
        "",
        "    def __init__(self, in_channels, num_channels, groups, bot_mul, use_1x1conv=False,",
        "                 strides=1):",
        "        super().__init__()",
        "        bot_channels = int(round(num_channels * bot_mul))",
        "        self.conv1 = nn.Conv2d(in_channels, bot_channels, kernel_size=1, stride=1)",
        "        self.conv2 = nn.Conv2d(bot_channels, bot_channels, kernel_size=3,",
        "                               stride=strides, padding=1,",
        "                               groups=bot_channels // groups)",
        "        self.conv3 = nn.Conv2d(bot_channels, num_channels, kernel_size=1, stride=1)",
        f"        self.bn1 = {b('bn1', 'bot_channels')}",
        f"        self.bn2 = {b('bn2', 'bot_channels')}",
        f"        self.bn3 = {b('bn3', 'num_channels')}",
    ]
    if skip:
        lines += [
            "        if use_1x1conv:",
            "            self.conv4 = nn.Conv2d(in_channels, num_channels, kernel_size=1,",
            "                                   stride=strides)",
            f"            self.bn4 = {b('bn4', 'num_channels')}",
            "        else:",
            "            self.conv4 = None",
        ]
    lines += [
        "",
        "    def forward(self, X):",
        "        Y = F.relu(self.bn1(self.conv1(X)))",
        "        Y = F.relu(self.bn2(self.conv2(Y)))",
        "        Y = self.bn3(self.conv3(Y))",
    ]
    if skip:
        lines += ["        if self.conv4:", "            X = self.bn4(self.conv4(X))",
                  "        Y += X"]  # fmt: skip
    lines += ["        return F.relu(Y)", "", ""]
    return lines


def code(spec: ResNetSpec) -> str:
    bn, skip = spec.batch_norm, spec.skip
    resnext = spec.block == "resnext"
    lines = _resnext_code(spec) if resnext else _residual_code(spec)
    c0, ins = spec.stem_channels, spec.in_channels
    bn_line = f"nn.BatchNorm2d({c0}), " if bn else ""
    name = "ResNeXt" if resnext else "ResNet"
    if spec.stem == "d2l":
        lines += [
            f"# {name} (d2l 8.6): stem b1, then one stage per arch row",
            "net = nn.Sequential()",
            'net.add_module("b1", nn.Sequential(',
            f"    nn.Conv2d({ins}, {c0}, kernel_size=7, stride=2, padding=3),",
            f"    {bn_line}nn.ReLU(),",
            "    nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))",
        ]
    else:
        lines += [
            f"# {name} (d2l 8.6) with a small stem for small inputs: a 3x3 conv, no pooling",
            "net = nn.Sequential()",
            'net.add_module("b1", nn.Sequential(',
            f"    nn.Conv2d({ins}, {c0}, kernel_size=3, padding=1),",
            f"    {bn_line}nn.ReLU()))",
        ]
    if resnext:
        args = f"in_channels, num_channels, {spec.groups}, {spec.bot_mul!r}"
        first = f"ResNeXtBlock({args}, use_1x1conv=True, strides=2)"
        rest = f"ResNeXtBlock({args}, use_1x1conv=in_channels != num_channels)"
        if not skip:
            first = f"ResNeXtBlock({args}, strides=2)"
            rest = f"ResNeXtBlock({args})"
    else:
        first = (
            "Residual(in_channels, num_channels, use_1x1conv=True, strides=2)"
            if skip
            else "Residual(in_channels, num_channels, strides=2)"
        )
        rest = (
            "Residual(in_channels, num_channels, use_1x1conv=in_channels != num_channels)"
            if skip
            else "Residual(in_channels, num_channels)"
        )
    lines += [
        f"arch = {spec.arch!r}",
        f"in_channels = {c0}",
        "for i, (num_residuals, num_channels) in enumerate(arch):",
        "    blk = []",
        "    for j in range(num_residuals):",
        "        if j == 0 and i != 0:  # halve height and width at the start of a stage",
        f"            blk.append({first})",
        "        else:",
        f"            blk.append({rest})",
        "        in_channels = num_channels",
        '    net.add_module(f"b{i + 2}", nn.Sequential(*blk))',
        'net.add_module("last", nn.Sequential(',
        "    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),",
        f"    nn.Linear(in_channels, {spec.num_classes})))",
        "",
    ]
    return "\n".join(lines)


FIELDS = (
    Field("arch", "rows", columns=("num_residuals", "channels")),
    Field("batch_norm", "toggle", line=1),
    Field("skip", "toggle", line=1),
    Field("stem", "select", options=("d2l", "small"), line=1),
    Field("stem_channels", "int", 1, 512, line=1),
    Field("block", "radio", options=("residual", "resnext"), line=2),
    Field("groups", "int", 1, 512, line=2),
    Field("bot_mul", "slider", 0.25, 4.0, 0.25, line=2),
)

WORDS = {
    "en": {
        "label": "ResNet (8.6)",
        "fields": {
            "arch": "arch: one row per stage",
            "batch_norm": "batch norm",
            "skip": "skip connections",
            "stem": "stem",
            "stem_channels": "stem channels",
            "block": "block",
            "groups": "groups (ResNeXt)",
            "bot_mul": "bot_mul (ResNeXt)",
        },
        "help": {
            "arch": "Add or delete rows at the bottom of the table; every row halves the map size.",
            "stem": "d2l: 7×7 conv stride 2 + 3×3 max-pool stride 2 (÷4). small: one 3×3 conv.",
            "block": "residual: d2l's Residual (two 3×3 convolutions). resnext: d2l's "
            "ResNeXtBlock (1×1, grouped 3×3, 1×1).",
            "groups": "As d2l's ResNeXtBlock takes it: the channels per group; the grouped 3×3 "
            "convolution has bottleneck channels ÷ groups groups.",
            "bot_mul": "bottleneck channels = channels × bot_mul",
        },
        "columns": {"channels": "channels"},
        "presets": {
            "ResNet-18": "d2l 8.6: ResNet-18 at 96×96.",
            "ResNet-18-noBN": "The seed's ablation: ResNet-18 without batch normalisation.",
            "ResNet-18-noskip": "The seed's ablation: ResNet-18 without skip connections.",
            "ResNeXt-18": "d2l 8.6: ResNet-18's stages with ResNeXt blocks (grouped 3×3 "
            "convolutions, 16 channels per group) at 96×96.",
        },
        "errors": {
            "spec.bot_mul": "bot_mul must be above 0 and at most 4, got {value}.",
            "spec.resnext_groups": "ResNeXt stage {i}: its {bot} bottleneck channels (channels "
            "{c} × bot_mul {mul}) must be a multiple of groups = {groups} (the channels per "
            "group).",
        },
    },
    "ko": {
        "label": "ResNet (8.6)",
        "fields": {
            "arch": "`arch`: 단계마다 한 행",
            "batch_norm": "배치 정규화",
            "skip": "잔차 연결",
            "stem": "스템 (`stem`)",
            "stem_channels": "스템 채널 수",
            "block": "블록 (`block`)",
            "groups": "그룹 (`groups`, ResNeXt)",
            "bot_mul": "`bot_mul` (ResNeXt)",
        },
        "help": {
            "arch": "표 아래쪽에서 행을 추가하거나 지우세요. 행마다 맵 크기가 절반이 됩니다.",
            "stem": "d2l: 7×7 합성곱 스트라이드 2 + 3×3 최대 풀링 스트라이드 2 (÷4). `small`: "
            "3×3 합성곱 하나.",
            "block": "`residual`: d2l의 `Residual` (3×3 합성곱 두 개). `resnext`: d2l의 "
            "`ResNeXtBlock` (1×1, 그룹 3×3, 1×1).",
            "groups": "d2l의 `ResNeXtBlock`처럼 그룹마다의 채널 수입니다. 그룹 3×3 합성곱의 "
            "그룹 수는 병목 채널 수 ÷ `groups`입니다.",
            "bot_mul": "병목 채널 수 = 채널 수 × `bot_mul`",
        },
        "columns": {"channels": "채널 수"},
        "presets": {
            "ResNet-18": "d2l 8.6: 96×96의 ResNet-18.",
            "ResNet-18-noBN": "원본 노트의 어블레이션: 배치 정규화가 없는 ResNet-18.",
            "ResNet-18-noskip": "원본 노트의 어블레이션: 잔차 연결이 없는 ResNet-18.",
            "ResNeXt-18": "d2l 8.6: ResNeXt 블록 (그룹마다 채널 16개인 그룹 3×3 합성곱)으로 "
            "바꾼 96×96의 ResNet-18 단계들.",
        },
        "errors": {
            "spec.bot_mul": "`bot_mul`은 0보다 크고 4 이하여야 합니다 (받은 값 {value}).",
            "spec.resnext_groups": "ResNeXt 단계 {i}: 병목 채널 {bot}개 (채널 수 {c} × "
            "`bot_mul` {mul})는 `groups` = {groups} (그룹마다의 채널 수)의 배수여야 합니다.",
        },
    },
}

FAMILY = register(
    Family(
        name="resnet",
        spec=ResNetSpec,
        build=build,
        check=check,
        code=code,
        fields=FIELDS,
        presets={
            # d2l 8.6: ResNet-18 at 96×96.
            "ResNet-18": ResNetSpec(),
            # The seed's ablations of ResNet-18.
            "ResNet-18-noBN": ResNetSpec(batch_norm=False),
            "ResNet-18-noskip": ResNetSpec(skip=False),
            # d2l 8.6's ResNeXt block in ResNet-18's stages.
            "ResNeXt-18": ResNetSpec(block="resnext"),
        },
        words=WORDS,
        toggles={
            "batch_norm": (True, False),
            "skip": (True, False),
            "input_size": (28, 32, 48, 56, 96, 112, 224),
        },
        count_parameters=count_parameters,
        largest_map=largest_map,
        min_input_size=lambda spec: 16,
        lesson="8.6",
    )
)
