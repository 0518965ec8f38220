"""Check a spec before building it, with one error class that names the stage and the shapes.

The shapes are computed with d2l 7.3's formula, ``floor((n + 2p - k) / s) + 1``
(:func:`cnnviz.ops.out_size`), stage by stage, so a student sees *where* a network stops
fitting its input (d2l 7.6, 8.2, 8.6).
"""

from __future__ import annotations

import math

from cnnviz.errors import KeyedError, KeyedText
from cnnviz.models.specs import ACTIVATIONS, LeNetSpec, ModelSpec, ResNetSpec, VGGSpec
from cnnviz.ops import out_size

MAX_INPUT_SIZE = 512
MAX_CHANNELS = 4096
MAX_FC = 16384
MAX_STAGES = 8
MAX_REPEATS = 8
MAX_PARAMETERS = 300_000_000  # VGG-11 at 224 has 128.8M; above this a laptop runs out of RAM
# The largest feature map of one image (C·H·W values): VGG-11 at 224 makes 3.2M (64×224×224).
# A few widgets can ask for 4096×512×512 (4 GB for one image, times the batch when training).
MAX_MAP_ELEMENTS = 2**24

STEM = KeyedText("the stem's convolution", "stage.stem")


class SpecError(KeyedError, ValueError):
    """A spec that cannot be built: the message names the stage and the shapes involved."""


def _int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be a whole number, got {value!r}.", "spec.whole",
                        name=name, value=repr(value))  # fmt: skip
    if not low <= value <= high:
        raise SpecError(f"{name} must be between {low} and {high}, got {value}.", "spec.range",
                        name=name, low=low, high=high, value=value)  # fmt: skip
    return value


def _pairs(name: str, arch, what: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(arch, tuple | list) or len(arch) == 0:
        raise SpecError(f"{name} is empty: add at least one ({what}, channels) row.",
                        "spec.arch_empty", name=name, what=what)  # fmt: skip
    if len(arch) > MAX_STAGES:
        raise SpecError(f"{name} has {len(arch)} rows; at most {MAX_STAGES} are allowed.",
                        "spec.arch_long", name=name, n=len(arch), most=MAX_STAGES)  # fmt: skip
    for i, row in enumerate(arch, start=1):
        if not isinstance(row, tuple | list) or len(row) != 2:
            raise SpecError(f"{name} row {i} must be ({what}, channels), got {row!r}.",
                            "spec.arch_row", name=name, i=i, what=what, row=repr(row))  # fmt: skip
        _int(KeyedText(f"{name} row {i}: {what}", "field.row", name=name, i=i, what=what),
             row[0], 1, MAX_REPEATS)  # fmt: skip
        _int(KeyedText(f"{name} row {i}: channels", "field.row_channels", name=name, i=i),
             row[1], 1, MAX_CHANNELS)  # fmt: skip
    return tuple(tuple(r) for r in arch)


def _common(spec: ModelSpec) -> None:
    _int("in_channels", spec.in_channels, 1, 16)
    _int("num_classes", spec.num_classes, 1, 1000)
    _int("input_size", spec.input_size, 1, MAX_INPUT_SIZE)
    if not isinstance(spec.lr, int | float) or not 0 < spec.lr <= 10 or math.isnan(spec.lr):
        raise SpecError(f"lr must be a positive number up to 10, got {spec.lr!r}.")


def _activation(spec) -> None:
    if spec.activation not in ACTIVATIONS:
        raise SpecError(
            f"activation {spec.activation!r} is unknown; choose one of {', '.join(ACTIVATIONS)}."
        )


def _shrink(
    stage: str, n: int, k: int, p: int, s: int, c: int, size: int,
    hint: str = KeyedText("fewer stages", "hint.stages"),
) -> int:  # fmt: skip
    m = out_size(n, k, p, s)
    if m < 1:
        m = max(m, 0)
        raise SpecError(
            f"{stage} (window {k}×{k}, padding {p}, stride {s}) gets a {c}×{n}×{n} map and "
            f"would shrink it to {m}×{m} at input size {size}×{size}: use a "
            f"larger input size or {hint}.",
            "spec.shrink", stage=stage, k=k, p=p, s=s, c=c, n=n, m=m, size=size, hint=hint,
        )  # fmt: skip
    return m


def _lenet(spec: LeNetSpec) -> None:
    _activation(spec)
    if spec.pool not in ("avg", "max"):
        raise SpecError(f"pool must be 'avg' or 'max', got {spec.pool!r}.")
    if not isinstance(spec.channels, tuple | list) or len(spec.channels) != 2:
        raise SpecError(f"channels must be two numbers (conv1, conv2), got {spec.channels!r}.")
    if not isinstance(spec.fc, tuple | list) or len(spec.fc) != 2:
        raise SpecError(f"fc must be two numbers (fc1, fc2), got {spec.fc!r}.")
    c1 = _int(KeyedText("conv1 channels", "field.channels", layer="conv1"), spec.channels[0], 1,
              MAX_CHANNELS)  # fmt: skip
    c2 = _int(KeyedText("conv2 channels", "field.channels", layer="conv2"), spec.channels[1], 1,
              MAX_CHANNELS)  # fmt: skip
    k = _int("kernel_size", spec.kernel_size, 1, 15)
    p = _int("padding", spec.padding, 0, 7)
    _int(KeyedText("fc1 width", "field.width", layer="fc1"), spec.fc[0], 1, MAX_FC)
    _int(KeyedText("fc2 width", "field.width", layer="fc2"), spec.fc[1], 1, MAX_FC)
    size = spec.input_size
    hint = KeyedText("a smaller kernel_size or more padding", "hint.lenet")
    n = _shrink("conv1", size, k, p, 1, spec.in_channels, size, hint)
    n = _shrink("pool1", n, 2, 0, 2, c1, size, hint)
    n = _shrink("conv2", n, k, 0, 1, c1, size, hint)
    n = _shrink("pool2", n, 2, 0, 2, c2, size, hint)


def _vgg(spec: VGGSpec) -> None:
    _activation(spec)
    arch = _pairs("arch", spec.arch, "num_convs")
    _int(KeyedText("fc width", "field.width", layer="fc"), spec.fc, 1, MAX_FC)
    d = spec.dropout
    if isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d < 1:
        raise SpecError(f"dropout must be at least 0 and below 1, got {d!r}.")
    n = spec.input_size
    for i, (_, out_channels) in enumerate(arch, start=1):
        stage = KeyedText(f"VGG block {i}'s max-pool", "stage.vgg_pool", i=i)
        hint = KeyedText("fewer blocks (each halves the map)", "hint.vgg")
        n = _shrink(stage, n, 2, 0, 2, out_channels, spec.input_size, hint)


def _resnet(spec: ResNetSpec) -> None:
    _pairs("arch", spec.arch, "num_residuals")
    if spec.stem not in ("d2l", "small"):
        raise SpecError(f"stem must be 'd2l' or 'small', got {spec.stem!r}.")
    _int("stem_channels", spec.stem_channels, 1, MAX_CHANNELS)
    for name in ("batch_norm", "skip"):
        if not isinstance(getattr(spec, name), bool):
            raise SpecError(f"{name} must be True or False, got {getattr(spec, name)!r}.")
    # Every ResNet stage uses padding, so sizes stay ≥ 1; nothing can shrink below 1×1.


def count_parameters(spec: ModelSpec) -> int:
    """Parameters of the network a (shape-valid) spec describes, computed without building it."""
    if isinstance(spec, LeNetSpec):
        c1, c2 = spec.channels
        k, size = spec.kernel_size, spec.input_size
        n = out_size(out_size(size, k, spec.padding) // 2, k) // 2
        f1, f2 = spec.fc
        ins = spec.in_channels
        return (
            (ins * k * k + 1) * c1 + (c1 * k * k + 1) * c2
            + (c2 * n * n + 1) * f1 + (f1 + 1) * f2 + (f2 + 1) * spec.num_classes
        )  # fmt: skip
    if isinstance(spec, VGGSpec):
        total, c, n = 0, spec.in_channels, spec.input_size
        for num_convs, out_channels in spec.arch:
            for _ in range(num_convs):
                total += (c * 9 + 1) * out_channels
                c = out_channels
            n //= 2
        f = spec.fc
        return total + (c * n * n + 1) * f + (f + 1) * f + (f + 1) * spec.num_classes
    c0 = spec.stem_channels
    k = 7 if spec.stem == "d2l" else 3
    bn = 2 if spec.batch_norm else 0
    total = (spec.in_channels * k * k + 1) * c0 + bn * c0
    c = c0
    for i, (num_residuals, num_channels) in enumerate(spec.arch):
        for j in range(num_residuals):
            total += (c * 9 + 1) * num_channels + (num_channels * 9 + 1) * num_channels
            total += 2 * bn * num_channels
            if spec.skip and ((j == 0 and i != 0) or c != num_channels):
                total += (c + 1) * num_channels
            c = num_channels
    return total + (c + 1) * spec.num_classes


def largest_map(spec: ModelSpec) -> tuple[int, str, tuple[int, int, int]]:
    """The largest feature map the network makes for one image, computed without building it:
    (values, the layer, its (C, H, W)). Convolutions keep their size under padding; pooling
    halves it (d2l 7.3 and 7.5)."""
    maps: list[tuple[str, tuple[int, int, int]]] = []
    size = spec.input_size
    if isinstance(spec, LeNetSpec):
        c1, c2 = spec.channels
        n1 = out_size(size, spec.kernel_size, spec.padding)
        n2 = out_size(n1 // 2, spec.kernel_size)
        maps += [("conv1", (c1, n1, n1)), ("conv2", (c2, n2, n2))]
    elif isinstance(spec, VGGSpec):
        n = size
        for i, (_, c) in enumerate(spec.arch, start=1):
            maps.append((KeyedText(f"VGG block {i}'s convolutions", "stage.vgg_convs", i=i),
                         (c, n, n)))  # fmt: skip
            n //= 2
    else:
        if spec.stem == "d2l":
            n = out_size(size, 7, 3, 2)
            maps.append((STEM, (spec.stem_channels, n, n)))
            n = out_size(n, 3, 1, 2)
        else:
            n = size
            maps.append((STEM, (spec.stem_channels, n, n)))
        for i, (_, c) in enumerate(spec.arch):
            n = out_size(n, 3, 1, 2) if i else n
            maps.append((KeyedText(f"ResNet stage {i + 1}", "stage.resnet", i=i + 1), (c, n, n)))
    name, shape = max(maps, key=lambda m: math.prod(m[1]))
    return math.prod(shape), name, shape


def validate(spec: ModelSpec) -> ModelSpec:
    """Raise :class:`SpecError` if ``spec`` cannot be built; return it unchanged otherwise.

    Checks ranges (no zero channels, no empty arch, known activation/pooling/stem), that no
    stage shrinks the feature map below 1×1 at ``spec.input_size``, and that the network fits
    in memory (at most ``MAX_PARAMETERS``, and no feature map over ``MAX_MAP_ELEMENTS``).
    """
    checks = {LeNetSpec: _lenet, VGGSpec: _vgg, ResNetSpec: _resnet}
    if type(spec) not in checks:
        raise SpecError(f"not a model spec: {type(spec).__name__}")
    _common(spec)
    checks[type(spec)](spec)
    total = count_parameters(spec)
    if total > MAX_PARAMETERS:
        millions, most = f"{total / 1e6:,.0f}", f"{MAX_PARAMETERS / 1e6:,.0f}"
        raise SpecError(
            f"this network would have {millions}M parameters "
            f"(limit {most}M): reduce the widths or the input size.",
            "spec.parameters", millions=millions, most=most,
        )  # fmt: skip
    values, where, (c, h, w) = largest_map(spec)
    if values > MAX_MAP_ELEMENTS:
        millions, gb = f"{values / 1e6:,.0f}", f"{values * 4 / 2**30:,.1f}"
        most = f"{MAX_MAP_ELEMENTS / 1e6:,.1f}"
        raise SpecError(
            f"{where} would make a {c}×{h}×{w} feature map: {millions}M values "
            f"({gb} GB) for one image, over the limit of "
            f"{most}M: use fewer channels or a smaller input size.",
            "spec.map", where=where, c=c, h=h, w=w, millions=millions, gb=gb, most=most,
        )  # fmt: skip
    return spec
