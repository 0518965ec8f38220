"""The family registry: everything cnnviz knows about a kind of network, in one place.

A family (LeNet, VGG, ResNet, AlexNet, …) is one module in ``cnnviz/models/families/`` that
makes one :class:`Family` and passes it to :func:`register`. The family declares its spec
dataclass (plain data with the book's defaults), how to check, build and export it, its
builder widgets as data (:class:`Field`), its presets, the fields an ablation may vary and
its words in every language. Building, validation, code export, the summary, the ablation lab,
the Training page and the builder ask the registry (:func:`family_of`) instead of testing a
spec's type, so adding a family is writing that one module (see the README's Architecture).
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# Fields every spec has, checked by the registry for every family (base.check_common).
COMMON_FIELDS = ("in_channels", "num_classes", "input_size", "lr")
# A field any family may vary in the ablation lab's grid, and the values offered.
COMMON_TOGGLES = {"lr": (0.001, 0.01, 0.03, 0.1, 0.3)}
WIDGETS = ("int", "slider", "select", "radio", "toggle", "rows")


@dataclass(frozen=True)
class Field:
    """One widget of the builder's form, bound to a spec field.

    Attributes:
        name: the widget's name (its key is ``builder_<name>``, its label the family's
            ``words[lang]["fields"][name]`` and its help ``words[lang]["help"].get(name)``).
        kind: "int" (number input), "slider" (a float), "select", "radio", "toggle" (a bool)
            or "rows" (a table: one row per block or stage).
        low, high, step: the range of "int" and "slider".
        options: the choices of "select" and "radio".
        field: the spec field it fills, when not ``name``.
        index: for a tuple field, the element this widget fills (``channels[0]``: conv1).
        columns: the columns of "rows"; ``to_spec``/``from_spec`` convert when the spec
            does not store the rows as they are shown (default: tuples of the rows).
        line: widgets with the same line number share one row of columns on the page.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()
    field: str | None = None
    index: int | None = None
    columns: tuple[str, ...] = ()
    to_spec: Callable | None = None
    from_spec: Callable | None = None
    line: int = 0

    def __post_init__(self):
        if self.kind not in WIDGETS:
            raise ValueError(f"unknown widget kind {self.kind!r}; one of {', '.join(WIDGETS)}")

    @property
    def spec_field(self) -> str:
        return self.field or self.name

    def value_of(self, spec) -> object:
        """The widget's value for ``spec`` (rows: a list of lists)."""
        value = getattr(spec, self.spec_field)
        if self.index is not None:
            value = value[self.index]
        if self.kind == "rows":
            rows = self.from_spec(value) if self.from_spec else value
            return [list(r) if isinstance(r, tuple | list) else [r] for r in rows]
        if self.kind == "slider":
            return float(value)
        return value

    def spec_value(self, rows) -> object:
        """A "rows" widget's table as the spec stores it: each cell as :func:`table_cell`
        reads it (a whole number, None where empty, else the value the checks refuse)."""
        rows = tuple(tuple(table_cell(v) for v in row) for row in rows)
        return self.to_spec(rows) if self.to_spec else rows


def table_cell(value):
    """A table cell as typed: None where it is empty (None, NaN), an int where it holds a
    whole number, else the value itself (an infinity, 2.5, 1e300), which the spec's checks
    refuse with a message ("must be a whole number"), never an error converting it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isfinite(value) and value.is_integer() and abs(value) <= 2**53:
            return int(value)
    return value


@dataclass(frozen=True, eq=False)
class Family:
    """A kind of network and all that cnnviz does with it.

    Attributes:
        name: the spec's ``family`` (stored with every run, e.g. "resnet").
        spec: the frozen dataclass; every field has the book's default, and it has the
            :data:`COMMON_FIELDS`.
        build: spec → ``nn.Module`` (layers made eagerly, the book's top-level structure so
            ``layer_summary`` prints the book's rows); called on the meta device for shapes.
        check: raises ``SpecError`` for a spec it cannot build: ranges and every stage's
            shape (the registry checks the common fields and the memory limits).
        code: spec → PyTorch source that defines ``net`` (after the shared header with
            ``init_cnn``; the shared footer applies it and prints the output shape).
        fields: the builder's widgets, in order (``in_channels``, ``num_classes`` and
            ``input_size`` are the builder's own).
        presets: name → spec, the book's networks first.
        words: language → {"label", "fields", "help", "columns", "presets", "errors"}:
            the family's name in the family picker, widget labels and help, table column
            headers, a note per preset and its own error messages (by key).
        toggles: spec field → values the ablation lab's grid may vary it over.
        count_parameters: spec → parameters, computed without building (an independent
            count); default: the layers made on the meta device, counted.
        largest_map: spec → (values, where, (C, H, W)) of the largest feature map of one
            image; default: one pass on the meta device.
        min_input_size: spec → the smallest input its network accepts; default: searched.
        scalable: whether an ablation's setting may scale ``input_size`` (LeNet keeps 28).
        branching: whether the network has blocks whose layers run side by side (their
            modules have ``branches``): the diagram then draws them as branches.
        lesson: the book's section, e.g. "8.4".
    """

    name: str
    spec: type
    build: Callable
    check: Callable
    code: Callable
    fields: tuple[Field, ...]
    presets: dict[str, object]
    words: dict[str, dict]
    toggles: dict[str, tuple] = field(default_factory=dict)
    count_parameters: Callable | None = None
    largest_map: Callable | None = None
    min_input_size: Callable | None = None
    scalable: bool = True
    branching: bool = False
    lesson: str = ""

    def __post_init__(self):
        missing = [f for f in COMMON_FIELDS if f not in self.spec.__dataclass_fields__]
        if missing or getattr(self.spec, "family", None) != self.name:
            raise ValueError(
                f"{self.spec.__name__} needs family = {self.name!r} and the fields "
                f"{', '.join(COMMON_FIELDS)} (missing: {', '.join(missing) or 'none'})"
            )
        for f in self.fields:
            if f.spec_field not in self.spec.__dataclass_fields__:
                raise ValueError(f"{self.name}: widget {f.name!r} names no field of the spec")

    def label(self, lang: str = "en") -> str:
        return self.words.get(lang, self.words["en"]).get("label", self.words["en"]["label"])

    def parameters(self, spec) -> int:
        if self.count_parameters is not None:
            return self.count_parameters(spec)
        return _meta_parameters(spec)

    def largest(self, spec) -> tuple[int, str, tuple[int, int, int]]:
        if self.largest_map is not None:
            return self.largest_map(spec)
        return _meta_largest_map(spec)

    def smallest_input(self, spec) -> int:
        if self.min_input_size is not None:
            return self.min_input_size(spec)
        return _search_min_input(spec)


# The registry itself, and two views the rest of cnnviz reads: every family's presets in
# one dict (LeNet's first) and each family's spec class by name. They are updated in place,
# so a module that imported them sees a family registered later.
REGISTRY: dict[str, Family] = {}
PRESETS: dict[str, object] = {}
FAMILIES: dict[str, type] = {}


def register(family: Family) -> Family:
    """Add a family (its presets join :data:`PRESETS`); a second family of the same name or a
    preset name already taken is an error."""
    if family.name in REGISTRY:
        raise ValueError(f"a family named {family.name!r} is already registered")
    taken = sorted(set(family.presets) & set(PRESETS))
    if taken:
        raise ValueError(f"preset names already taken: {', '.join(taken)}")
    for name, spec in family.presets.items():
        if type(spec) is not family.spec:
            raise ValueError(f"preset {name!r} is not a {family.spec.__name__}")
    REGISTRY[family.name] = family
    FAMILIES[family.name] = family.spec
    PRESETS.update(family.presets)
    return family


def unregister(name: str) -> None:
    """Remove a family and its presets (a test's toy family)."""
    family = REGISTRY.pop(name)
    FAMILIES.pop(name, None)
    for preset in family.presets:
        PRESETS.pop(preset, None)


@contextlib.contextmanager
def registered(family: Family) -> Iterator[Family]:
    """A family registered for the duration of a ``with`` block."""
    register(family)
    try:
        yield family
    finally:
        unregister(family.name)


def family_of(spec) -> Family:
    """The family of a spec; a ``SpecError`` for anything that is not a registered spec."""
    name = getattr(type(spec), "family", None)
    family = REGISTRY.get(name) if isinstance(name, str) else None
    if family is None or type(spec) is not family.spec:
        from cnnviz.models.base import SpecError

        raise SpecError(f"not a model spec: {type(spec).__name__}")
    return family


def is_spec(value) -> bool:
    """Whether ``value`` is a spec of a registered family."""
    name = getattr(type(value), "family", None)
    return isinstance(name, str) and name in REGISTRY and type(value) is REGISTRY[name].spec


def presets_of(family: str) -> dict[str, object]:
    """A family's presets, in the order it declares them."""
    return dict(REGISTRY[family].presets)


# -- defaults for families that do not count by hand -----------------------------------------
def _meta_net(spec):
    import torch

    with torch.device("meta"):
        return family_of(spec).build(spec)


@functools.lru_cache(maxsize=512)
def _meta_parameters(spec) -> int:
    return sum(p.numel() for p in _meta_net(spec).parameters())


@functools.lru_cache(maxsize=512)
def _meta_largest_map(spec) -> tuple[int, str, tuple[int, int, int]]:
    """One pass on the meta device (no memory, no arithmetic), every leaf's output measured."""
    import torch

    net = _meta_net(spec)
    best: list = [0, "input", (spec.in_channels, spec.input_size, spec.input_size)]
    handles = []

    def hook(name):
        def record(module, args, out):
            if isinstance(out, torch.Tensor) and out.dim() == 4:
                values = math.prod(out.shape[1:])
                if values > best[0]:
                    best[:] = [values, name, tuple(int(s) for s in out.shape[1:])]

        return record

    for name, module in net.named_modules():
        if name and not any(True for _ in module.children()):
            handles.append(module.register_forward_hook(hook(name)))
    from cnnviz.models.meta import ShapesOnly

    net.eval()
    try:
        with torch.no_grad(), ShapesOnly():
            net(torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return best[0], best[1], best[2]


def _search_min_input(spec) -> int:
    """The smallest input size whose shapes check (every family shrinks monotonically)."""
    import dataclasses

    from cnnviz.models.base import MAX_INPUT_SIZE, SpecError

    check = family_of(spec).check
    low, high = 1, MAX_INPUT_SIZE
    while low < high:
        mid = (low + high) // 2
        try:
            check(dataclasses.replace(spec, input_size=mid))
        except SpecError:
            low = mid + 1
        else:
            high = mid
    return low
