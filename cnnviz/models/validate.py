"""Check a spec before building it, with one error class that names the stage and the shapes.

The shapes are computed with d2l 7.3's formula, ``floor((n + 2p - k) / s) + 1``
(:func:`cnnviz.ops.out_size`), stage by stage, by the spec's family
(cnnviz/models/families/), so a student sees *where* a network stops fitting its input. What
every family shares is checked here: the common fields, and that the network fits in memory.
"""

from __future__ import annotations

from cnnviz.models.base import (  # noqa: F401 (re-exported: the limits, and SpecError)
    MAX_CHANNELS,
    MAX_FC,
    MAX_INPUT_SIZE,
    MAX_MAP_ELEMENTS,
    MAX_PARAMETERS,
    MAX_REPEATS,
    MAX_STAGES,
    STEM,
    SpecError,
    check_common,
)
from cnnviz.models.registry import family_of
from cnnviz.models.specs import ModelSpec


def count_parameters(spec: ModelSpec) -> int:
    """Parameters of the network a (shape-valid) spec describes, computed without building it
    (by its family's own arithmetic where it has one, else from its layers on the meta
    device, which allocates nothing)."""
    return family_of(spec).parameters(spec)


def largest_map(spec: ModelSpec) -> tuple[int, str, tuple[int, int, int]]:
    """The largest feature map the network makes for one image, computed without building it:
    (values, the layer, its (C, H, W))."""
    return family_of(spec).largest(spec)


def validate(spec: ModelSpec) -> ModelSpec:
    """Raise :class:`SpecError` if ``spec`` cannot be built; return it unchanged otherwise.

    Checks ranges (no zero channels, no empty arch, known activation/pooling/stem), that no
    stage shrinks the feature map below 1×1 at ``spec.input_size``, and that the network fits
    in memory (at most ``MAX_PARAMETERS``, and no feature map over ``MAX_MAP_ELEMENTS``).
    """
    family = family_of(spec)
    check_common(spec)
    family.check(spec)
    try:
        total = family.parameters(spec)
        values, where, (c, h, w) = family.largest(spec)
    except (RuntimeError, ValueError, TypeError) as exc:  # a shape the family's check missed
        raise SpecError(f"this network cannot be built: {exc}", "spec.unbuildable",
                        error=str(exc)) from exc  # fmt: skip
    if total > MAX_PARAMETERS:
        millions, most = f"{total / 1e6:,.0f}", f"{MAX_PARAMETERS / 1e6:,.0f}"
        raise SpecError(
            f"this network would have {millions}M parameters "
            f"(limit {most}M): reduce the widths or the input size.",
            "spec.parameters", millions=millions, most=most,
        )  # fmt: skip
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


__all__ = ["SpecError", "count_parameters", "largest_map", "validate"]
