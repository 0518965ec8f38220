"""What every family module shares: the error class, range and shape checks, activations and
d2l's initialisation (d2l 7.3, 7.6).

A family module (``cnnviz/models/families/``) builds its checks from :func:`check_int`,
:func:`shrink` and friends, so every family's messages name the field or the stage and the
shapes in the same words, with a message key a page translates (``cnnviz.errors``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cnnviz.errors import KeyedError, KeyedText
from cnnviz.ops import out_size

ACTIVATIONS = ("sigmoid", "relu", "tanh", "gelu", "leaky_relu")
ACTIVATION_CODE = {
    "sigmoid": "nn.Sigmoid()",
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "gelu": "nn.GELU()",
    "leaky_relu": "nn.LeakyReLU()",
}

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


def check_int(name: str, value, low: int, high: int) -> int:
    """``value`` if it is a whole number in ``[low, high]``; a :class:`SpecError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be a whole number, got {value!r}.", "spec.whole",
                        name=name, value=repr(value))  # fmt: skip
    if not low <= value <= high:
        raise SpecError(f"{name} must be between {low} and {high}, got {value}.", "spec.range",
                        name=name, low=low, high=high, value=value)  # fmt: skip
    return value


def check_fraction(name: str, value, high: float = 1.0) -> float:
    """A number in ``[0, high)`` (a dropout probability)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < high:
        raise SpecError(f"{name} must be at least 0 and below {high:g}, got {value!r}.",
                        "spec.fraction", name=name, high=f"{high:g}",
                        value=repr(value))  # fmt: skip
    return float(value)


def check_choice(name: str, value, options) -> None:
    if value not in options:
        choices = ", ".join(repr(o) for o in options)
        raise SpecError(f"{name} must be one of {choices}, got {value!r}.", "spec.choice",
                        name=name, choices=choices, value=repr(value))  # fmt: skip


def check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise SpecError(f"{name} must be True or False, got {value!r}.", "spec.bool",
                        name=name, value=repr(value))  # fmt: skip


def check_activation(value) -> None:
    if value not in ACTIVATIONS:
        raise SpecError(f"activation {value!r} is unknown; choose one of {', '.join(ACTIVATIONS)}.")


def check_tuple(name: str, value, n: int | None = None, what: str = "numbers") -> tuple:
    """A tuple (or list) of ``n`` items (any number ≥ 1 if ``n`` is None)."""
    ok = isinstance(value, tuple | list) and (len(value) == n if n else len(value) > 0)
    if not ok:
        count = str(n) if n else "at least one"
        raise SpecError(f"{name} must be {count} {what}, got {value!r}.", "spec.tuple",
                        name=name, count=count, what=what, value=repr(value))  # fmt: skip
    return tuple(value)


def pairs(name: str, arch, what: str) -> tuple[tuple[int, int], ...]:
    """Rows of (``what``, channels), as VGG's and ResNet's ``arch``."""
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
        check_int(KeyedText(f"{name} row {i}: {what}", "field.row", name=name, i=i, what=what),
                  row[0], 1, MAX_REPEATS)  # fmt: skip
        check_int(KeyedText(f"{name} row {i}: channels", "field.row_channels", name=name, i=i),
                  row[1], 1, MAX_CHANNELS)  # fmt: skip
    return tuple(tuple(r) for r in arch)


def rows_of(name: str, rows, columns: tuple[str, ...], highs: dict[str, int]) -> tuple:
    """Rows of whole numbers, one per block, each with ``columns`` (a table in the builder);
    ``highs`` gives a column's largest value (``MAX_CHANNELS`` otherwise), 1 the smallest,
    0 for a column named in ``highs`` with a negative bound (padding: ``-7`` allows 0..7)."""
    if not isinstance(rows, tuple | list) or len(rows) == 0:
        raise SpecError(f"{name} is empty: add at least one row.", "spec.rows_empty",
                        name=name)  # fmt: skip
    if len(rows) > 3 * MAX_STAGES:
        raise SpecError(f"{name} has {len(rows)} rows; at most {3 * MAX_STAGES} are allowed.",
                        "spec.arch_long", name=name, n=len(rows), most=3 * MAX_STAGES)  # fmt: skip
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, tuple | list) or len(row) != len(columns):
            what = ", ".join(columns)
            raise SpecError(f"{name} row {i} must be ({what}), got {row!r}.", "spec.rows_row",
                            name=name, i=i, what=what, row=repr(row))  # fmt: skip
        for column, value in zip(columns, row, strict=True):
            high = highs.get(column, MAX_CHANNELS)
            low = 0 if high < 0 else 1
            label = KeyedText(f"{name} row {i}: {column}", "field.row", name=name, i=i,
                              what=column)  # fmt: skip
            check_int(label, value, low, abs(high))
        out.append(tuple(row))
    return tuple(out)


def shrink(
    stage: str, n: int, k: int, p: int, s: int, c: int, size: int,
    hint: str = KeyedText("fewer stages", "hint.stages"),
) -> int:  # fmt: skip
    """The side after a ``k``×``k`` window (padding ``p``, stride ``s``) on an ``n``×``n`` map
    of ``c`` channels (d2l 7.3's formula); a :class:`SpecError` that names ``stage`` if the map
    would vanish."""
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


def check_common(spec) -> None:
    """The fields every spec has: ``in_channels``, ``num_classes``, ``input_size``, ``lr``."""
    check_int("in_channels", spec.in_channels, 1, 16)
    check_int("num_classes", spec.num_classes, 1, 1000)
    check_int("input_size", spec.input_size, 1, MAX_INPUT_SIZE)
    if not isinstance(spec.lr, int | float) or not 0 < spec.lr <= 10 or math.isnan(spec.lr):
        raise SpecError(f"lr must be a positive number up to 10, got {spec.lr!r}.")


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


def flat_features(features: nn.Module, spec) -> int:
    """The length of ``features``' flattened output for one input of the spec's size."""
    with torch.device("meta"):
        x = torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size)
        return int(features(x).flatten(1).shape[1])
