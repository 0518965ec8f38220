"""Ablations as first-class groups of paired runs (d2l 7.6, 8.2, 8.6 and the seed's exercises).

A group is a baseline and its variants: specs that differ in the ablated fields only. One call,
:func:`group_configs`, turns a group and a setting (the book's full size, or a CPU classroom
size that finishes in a few minutes) into ``RunConfig`` s that share the seed, the data order,
the epochs, the batch size and the subset — so the ablation is the only difference.

The comparison side works on plain metrics DataFrames (one per variant, as
``RunStore.metrics`` returns them): :func:`comparison_table`, :func:`highlight` and
:func:`long_metrics` for plotting. Nothing here imports Streamlit.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from cnnviz import stats
from cnnviz.errors import KeyedError
from cnnviz.features import first_layer_kernels, first_layer_maps  # noqa: F401 (A.*)
from cnnviz.models import (
    PRESETS,
    ModelSpec,
    count_parameters,
    family_of,
    network_from_weights,
)
from cnnviz.models.registry import COMMON_TOGGLES, REGISTRY

TARGET_ACC = 0.85  # "the epoch that reaches 85 % validation accuracy"
NOT_REACHED = "—"
METRICS = ("train_loss", "val_loss", "train_acc", "val_acc")
METRIC_LABELS = {
    "train_loss": "train loss",
    "val_loss": "val loss",
    "train_acc": "train acc",
    "val_acc": "val acc",
}


@dataclass(frozen=True)
class Setting:
    """How big a group's runs are: epochs, batch, subsets and an input-size scale.

    ``scale`` multiplies every variant's ``input_size`` (LeNet stays at 28), so ratios between
    variants are kept (VGG 224 vs 56 becomes 112 vs 28 at 0.5).
    """

    label: str
    num_epochs: int
    batch_size: int = 128
    limit: int | None = None
    val_limit: int | None = None
    scale: float = 1.0
    note: str = ""
    measured: str = ""


@dataclass(frozen=True)
class Variant:
    """One arm of an ablation: a display name, the spec, and the preset it came from."""

    name: str
    spec: ModelSpec
    preset: str | None = None


@dataclass(frozen=True)
class AblationGroup:
    """A baseline (first variant) and the variants it is compared with."""

    key: str
    title: str
    lesson: str
    question: str
    finding: str
    variants: tuple[Variant, ...]
    full: Setting
    classroom: Setting
    quick: Setting

    def setting(self, mode: str) -> Setting:
        """The setting of a mode: "quick", "classroom" or "full"."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return getattr(self, mode)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variants]


MODES = ("quick", "classroom", "full")
MAX_SEEDS = 10  # repeats of each variant the lab offers


class GridError(KeyedError, ValueError):
    """A grid that cannot be run as asked; the message says why."""


def _preset_group(key, title, lesson, question, finding, presets, full, classroom, quick):
    variants = tuple(Variant(p, PRESETS[p], p) for p in presets)
    return AblationGroup(key, title, lesson, question, finding, variants, full, classroom, quick)


QUICK_NOTE = (
    "A smoke test that finishes in seconds: too short to show the book's differences reliably."
)
# The book trains every network for 10 epochs with batch 128 on all 60k images (d2l 7.6, 8.2,
# 8.6); the classroom settings were measured on a 2-core CPU (see the README's benchmark).
GROUPS: dict[str, AblationGroup] = {
    g.key: g
    for g in (
        _preset_group(
            "lenet",
            "LeNet: sigmoid vs ReLU (7.6)",
            "7.6",
            "Does swapping LeNet's sigmoid for ReLU speed up learning?",
            "The seed: with ReLU the loss falls sharply from the start and accuracy rises "
            "fast; with sigmoid the loss falls slowly (vanishing gradients).",
            ("LeNet", "LeNet-ReLU"),
            Setting("Full size (book): 60,000 images, 10 epochs, batch 128", 10),
            Setting(
                "CPU classroom: 20,000 images, 10 epochs, batch 128",
                10,
                limit=20_000,
                val_limit=2_000,
                note="A third of the training set; validation on the first 2,000 test images.",
            ),
            Setting(
                "Quick look: 2,000 images, 2 epochs", 2, limit=2_000, val_limit=500, note=QUICK_NOTE
            ),
        ),
        _preset_group(
            "vgg",
            "VGG: 224 vs 56 vs adjusted (8.2)",
            "8.2",
            "What happens to VGG when the input shrinks from 224×224 to 56×56, and does "
            "an adjusted design (fewer poolings, smaller FC) recover?",
            "The seed: the same VGG at 56×56 trains poorly; the adjusted VGG (two convs per "
            "block, FC 2048, dropout 0.4) does better, about as well as LeNet.",
            ("VGG-small", "VGG-small-56", "VGG-56-adjusted"),
            Setting("Full size (book): 60,000 images at 224 / 56, 10 epochs, batch 128", 10),
            Setting(
                "CPU classroom: inputs halved (112 vs 28), 4,000 images, 4 epochs",
                4,
                limit=4_000,
                val_limit=1_000,
                scale=0.5,
                note="Every input size is halved so the 4:1 ratio of the experiment is kept.",
            ),
            Setting(
                "Quick look: inputs ÷4 (56 vs 16), 500 images, 1 epoch",
                1,
                limit=500,
                val_limit=250,
                scale=0.25,
                note=QUICK_NOTE,
            ),
        ),
        _preset_group(
            "resnet",
            "ResNet-18: BN and skip ablations (8.6)",
            "8.6",
            "How much do batch normalization and skip connections help ResNet-18?",
            "The seed: without BN the loss still falls fast and accuracy drops only a little; "
            "without skip connections ResNet-18 is almost the same on Fashion-MNIST.",
            ("ResNet-18", "ResNet-18-noBN", "ResNet-18-noskip"),
            Setting("Full size (book): 60,000 images at 96×96, 10 epochs, batch 128", 10),
            Setting(
                "CPU classroom: 32×32 inputs, 6,000 images, 3 epochs",
                3,
                limit=6_000,
                val_limit=1_000,
                scale=1 / 3,
                note="A third of the book's 96×96 input side, a tenth of the training set.",
                measured="Measured on the 2-core CPU dev container, otherwise idle: 71–94 s per "
                "variant, 4.2 min for the group.",
            ),
            Setting(
                "Quick look: 16×16 inputs, 256 images, 1 epoch",
                1,
                limit=256,
                val_limit=128,
                scale=1 / 6,
                note=QUICK_NOTE,
            ),
        ),
    )
}


def _variant_group(key, title, lesson, question, finding, base, field, values, full, classroom,
                   quick, **changes):  # fmt: skip
    """A group whose variants are one preset (with ``changes``) with one field changed."""
    spec = dataclasses.replace(PRESETS[base], **changes)
    name = " · ".join([base, *(f"{k}={v}" for k, v in changes.items())])
    variants = tuple(
        Variant(name if spec == (v := dataclasses.replace(spec, **{field: value}))
                else f"{name} · {field}={value}", v, base if v == PRESETS[base] else None)
        for value in values
    )  # fmt: skip
    return AblationGroup(key, title, lesson, question, finding, variants, full, classroom, quick)


FULL = "Full size (book): 60,000 images, 10 epochs, batch 128"
# Chapter 8's other sections, one experiment each (their classroom sizes are estimates until
# measured; the CPU-sized presets keep them to minutes).
GROUPS.update(
    (g.key, g)
    for g in (
        _variant_group(
            "alexnet", "AlexNet: with and without dropout (8.1)", "8.1",
            "Does dropout in AlexNet's fully connected layers help on Fashion-MNIST?",
            "The book: dropout fights overfitting in the huge fully connected layers; without "
            "it the training loss falls further than the validation loss.",
            "AlexNet-small", "dropout", (0.5, 0.0),
            Setting(FULL + " (the CPU-sized AlexNet at 28×28)", 10),
            Setting("CPU classroom: 10,000 images, 5 epochs, batch 128", 5, limit=10_000,
                    val_limit=2_000, note="The CPU-sized AlexNet at Fashion-MNIST's 28×28."),
            Setting("Quick look: 1,000 images, 1 epoch", 1, limit=1_000, val_limit=250,
                    note=QUICK_NOTE),
        ),
        _variant_group(
            "nin", "NiN: global average pooling vs a fully connected head (8.3)", "8.3",
            "What does NiN's global average pooling save against a fully connected head, and "
            "does it cost accuracy?",
            "The book: global average pooling has no parameters and, after the last NiN block, "
            "reaches about the accuracy of a fully connected head with far fewer parameters.",
            "NiN-small", "head", ("gap", "fc"),
            Setting(FULL + " (the CPU-sized NiN at 96×96)", 10),
            Setting("CPU classroom: 4,000 images, 3 epochs", 3, limit=4_000, val_limit=1_000,
                    note="The CPU-sized NiN (a quarter of the channels) at 96×96."),
            Setting("Quick look: 256 images, 1 epoch", 1, limit=256, val_limit=128,
                    note=QUICK_NOTE),
        ),
        _variant_group(
            "googlenet", "GoogLeNet: with and without the 1×1 reductions (8.4)", "8.4",
            "How many parameters do the Inception block's 1×1 reductions save, and what do "
            "they cost in accuracy?",
            "The book: the 1×1 convolutions shrink the channels before the 3×3 and 5×5 "
            "convolutions, cutting parameters and computation several times.",
            "GoogLeNet-small", "reductions", (True, False),
            Setting(FULL + " (the CPU-sized GoogLeNet at 96×96)", 10),
            Setting("CPU classroom: 32×32 inputs, 6,000 images, 3 epochs", 3, limit=6_000,
                    val_limit=1_000, scale=1 / 3,
                    note="A third of the book's 96×96 input side, a tenth of the training set."),
            Setting("Quick look: 32×32 inputs, 256 images, 1 epoch", 1, limit=256,
                    val_limit=128, scale=1 / 3, note=QUICK_NOTE),
        ),
        _variant_group(
            "lenet_bn", "LeNet: with and without batch norm at a high learning rate (8.5)",
            "8.5",
            "Does batch normalization let LeNet train at a learning rate where the plain "
            "network struggles?",
            "The book: with batch normalization LeNet trains fast and stably even at a large "
            "learning rate; without it the sigmoid network barely moves.",
            "LeNet-BN", "batch_norm", ("torch", "none"),
            Setting(FULL + " (lr 1.0)", 10),
            Setting("CPU classroom: 20,000 images, 5 epochs, batch 128 (lr 1.0)", 5,
                    limit=20_000, val_limit=2_000,
                    note="A third of the training set, both variants at lr 1.0."),
            Setting("Quick look: 2,000 images, 2 epochs (lr 1.0)", 2, limit=2_000,
                    val_limit=500, note=QUICK_NOTE),
            lr=1.0,
        ),
        _variant_group(
            "densenet", "DenseNet: two growth rates (8.7)", "8.7",
            "How do more channels per convolution block (the growth rate) change DenseNet's "
            "size and accuracy?",
            "The book: each convolution block adds growth_rate channels; a larger rate makes "
            "wider concatenations, more parameters and more computation.",
            "DenseNet-small", "growth_rate", (16, 32),
            Setting(FULL + " (the CPU-sized DenseNet at 96×96)", 10),
            Setting("CPU classroom: 32×32 inputs, 6,000 images, 3 epochs", 3, limit=6_000,
                    val_limit=1_000, scale=1 / 3,
                    note="A third of the book's 96×96 input side, a tenth of the training set."),
            Setting("Quick look: 32×32 inputs, 256 images, 1 epoch", 1, limit=256,
                    val_limit=128, scale=1 / 3, note=QUICK_NOTE),
        ),
    )
)  # fmt: skip


class _GridFields(Mapping):
    """Fields a custom grid may vary: {field: {"values", "families"}}, read live from every
    registered family's ``toggles`` (and the registry's common ones, such as ``lr``)."""

    def _table(self) -> dict[str, dict]:
        table: dict[str, dict] = {}
        for family in REGISTRY.values():
            for field, values in {**family.toggles, **COMMON_TOGGLES}.items():
                entry = table.setdefault(field, {"values": tuple(values), "families": ()})
                entry["families"] += (family.name,)
        last = [*COMMON_TOGGLES, "input_size"]  # the network's own fields first
        return dict(sorted(table.items(), key=lambda kv: last.index(kv[0]) if kv[0] in last
                           else -1))  # fmt: skip

    def __getitem__(self, field: str) -> dict:
        return self._table()[field]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


GRID_FIELDS: Mapping[str, dict] = _GridFields()


def min_input_size(spec: ModelSpec) -> int:
    """The smallest input a spec's network accepts (every VGG pool halves it; d2l 7.3)."""
    return family_of(spec).smallest_input(spec)


def scale_spec(spec: ModelSpec, scale: float) -> ModelSpec:
    """``spec`` with its input size multiplied by ``scale`` (LeNet keeps its 28×28)."""
    if scale == 1.0 or not family_of(spec).scalable:
        return spec
    size = max(min_input_size(spec), int(round(spec.input_size * scale)))
    return dataclasses.replace(spec, input_size=size)


def _default_sizes(spec: ModelSpec) -> AblationGroup:
    """Sizes for a family without a group of its own: the book's full size, a classroom size
    at about 32×32 and a quick look at about 16×16 (LeNet-like families keep their input)."""
    side = spec.input_size if not family_of(spec).scalable else None
    classroom = 1.0 if side else min(1.0, 32 / spec.input_size)
    quick = 1.0 if side else min(1.0, 16 / spec.input_size)
    return AblationGroup(
        "grid", "", family_of(spec).lesson, "", "", (),
        Setting("Full size (book): 60,000 images, 10 epochs, batch 128", 10),
        Setting("CPU classroom: about 32×32 inputs, 6,000 images, 3 epochs", 3, limit=6_000,
                val_limit=1_000, scale=classroom),
        Setting("Quick look: about 16×16 inputs, 256 images, 1 epoch", 1, limit=256,
                val_limit=128, scale=quick, note=QUICK_NOTE),
    )  # fmt: skip


def sizes_of(spec: ModelSpec) -> AblationGroup:
    """The group whose quick, classroom and full sizes a spec's runs take: its family's
    built-in group (sizes measured for that family), else sizes made for the family."""
    return GROUPS.get(spec.family) or _default_sizes(spec)


def grid_group(base: str | ModelSpec, field: str, values) -> AblationGroup:
    """A custom group: one spec, one field varied over ``values`` (the first is the baseline).

    Args:
        base: a preset name or a spec.
        field: one of :data:`GRID_FIELDS`.
        values: at least two distinct values.

    Raises:
        ValueError: unknown field, a field the family does not have, or fewer than 2 values.
    """
    spec = PRESETS[base] if isinstance(base, str) else base
    preset = base if isinstance(base, str) else None
    if field not in GRID_FIELDS:
        raise ValueError(f"Choose one of {', '.join(GRID_FIELDS)}; {field!r} cannot be varied.")
    if spec.family not in GRID_FIELDS[field]["families"]:
        raise ValueError(f"{type(spec).__name__} has no field {field!r} to vary.")
    values = list(dict.fromkeys(values))
    if len(values) < 2:
        raise GridError("Pick at least two values to compare.", "ablation.two_values")
    name = preset or spec.family
    variants = tuple(
        Variant(f"{name} · {field}={v}", dataclasses.replace(spec, **{field: v}), preset)
        for v in values
    )
    # The family's built-in group lends its settings (sizes measured for that family).
    template = sizes_of(spec)
    return AblationGroup(
        key="grid",
        title=f"{name}: {field} ∈ {{{', '.join(str(v) for v in values)}}}",
        lesson=template.lesson,
        question=f"What does changing {field} alone do to {name}?",
        finding="",
        variants=variants,
        full=template.full,
        classroom=template.classroom,
        quick=template.quick,
    )


def check_seeds(seeds: int) -> int:
    """``seeds`` as an int from 1 to :data:`MAX_SEEDS`, or a :class:`GridError` saying why."""
    try:
        k = int(seeds)
    except (TypeError, ValueError):
        k = 0
    if k != seeds or not 1 <= k <= MAX_SEEDS:
        raise GridError(
            f"Repeat each variant 1 to {MAX_SEEDS} times (seeds), not {seeds!r}.",
            "ablation.seeds", most=MAX_SEEDS, got=str(seeds),
        )  # fmt: skip
    return k


def group_plan(
    group: AblationGroup | str,
    mode: str = "classroom",
    seed: int = 0,
    seeds: int = 1,
    **kwargs,
) -> list[tuple[Variant, int, object]]:
    """(variant, seed, ``RunConfig``) of every run of a group repeated over ``seeds`` seeds:
    ``seed``, ``seed + 1``, … — interleaved, seed by seed (the first seed of every variant
    first), so a group stopped half-way still holds whole seeds to compare. Seed s of every
    variant shares s's data order and, where the layers match, s's initial weights.
    ``kwargs`` go to :func:`group_configs`."""
    group = GROUPS[group] if isinstance(group, str) else group
    k = check_seeds(seeds)
    base = group_configs(group, mode, seed, **kwargs)
    return [
        (v, seed + i, dataclasses.replace(c, seed=seed + i))
        for i in range(k)
        for v, c in zip(group.variants, base, strict=True)
    ]


def group_configs(
    group: AblationGroup | str,
    mode: str = "classroom",
    seed: int = 0,
    scale: float | None = None,
    device: str = "auto",
    *,
    seeds: int = 1,
    **overrides,
) -> list:
    """Paired ``RunConfig`` s, one per variant, differing only in the ablated spec fields.

    Args:
        group: a group or a key of :data:`GROUPS`.
        mode: "quick" (seconds), "classroom" (minutes on a CPU) or "full" (the book's).
        seed: shared by every run: same init seed and same data order.
        scale: overrides the setting's input-size scale (tests use a small one).
        device: "auto", "cpu" or "cuda".
        seeds: more than 1 repeats the group over seeds ``seed``, ``seed + 1``, … in the order
            of :func:`group_plan` (every variant of a seed, then the next seed).
        **overrides: RunConfig fields (num_epochs, limit, val_limit, batch_size) for all runs.
    """
    from cnnviz.train import RunConfig

    group = GROUPS[group] if isinstance(group, str) else group
    if seeds != 1:
        plan = group_plan(group, mode, seed, seeds, scale=scale, device=device, **overrides)
        return [c for _, _, c in plan]
    s = group.setting(mode)
    common = dict(
        num_epochs=s.num_epochs,
        batch_size=s.batch_size,
        limit=s.limit,
        val_limit=s.val_limit,
        seed=seed,
        device=device,
    )
    common.update(overrides)
    k = s.scale if scale is None else scale
    return [RunConfig(spec=scale_spec(v.spec, k), **common) for v in group.variants]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differing_fields(configs) -> dict[str, list]:
    """The config fields (``spec.x`` for spec fields) whose values differ between runs."""
    flat = [_flatten(c.to_dict()) for c in configs]
    keys = sorted(set().union(*flat)) if flat else []
    return {k: [f.get(k) for f in flat] for k in keys if len({repr(f.get(k)) for f in flat}) > 1}


def estimate_group(configs, device: str, speeds, history=None):
    """The whole group's training time, its runs one after another (an
    :class:`cnnviz.estimates.Estimate`); ``history(config)`` gives earlier epochs of a config's
    network here, when known."""
    from functools import reduce

    from cnnviz.estimates import estimate_run

    return reduce(
        lambda a, b: a + b,
        (estimate_run(c, device, speeds, history(c) if history else None) for c in configs),
    )


# -- comparison data -------------------------------------------------------------------------


def epoch_reaching(metrics: pd.DataFrame, target: float = TARGET_ACC) -> int | None:
    """The first epoch whose validation accuracy is at least ``target`` (None if none)."""
    if metrics is None or metrics.empty or "val_acc" not in metrics:
        return None
    hit = metrics.loc[metrics["val_acc"] >= target, "epoch"]
    return int(hit.iloc[0]) if len(hit) else None


def comparison_table(
    metrics_by_variant: dict[str, pd.DataFrame], params: dict[str, int] | None = None
) -> pd.DataFrame:
    """One row per variant: best and final val acc, the epoch reaching 85 %, time, parameters.

    Args:
        metrics_by_variant: variant name → per-epoch metrics (``RunStore.metrics`` columns).
        params: variant name → parameter count (see :func:`count_parameters`).
    """
    params = params or {}
    rows = []
    for name, m in metrics_by_variant.items():
        has = m is not None and not m.empty
        reach = epoch_reaching(m)
        rows.append(
            {
                "variant": name,
                "epochs": int(len(m)) if has else 0,
                "best val acc": float(m["val_acc"].max()) if has else math.nan,
                "final val acc": float(m["val_acc"].iloc[-1]) if has else math.nan,
                "final train loss": float(m["train_loss"].iloc[-1]) if has else math.nan,
                "final val loss": float(m["val_loss"].iloc[-1]) if has else math.nan,
                f"epoch to {TARGET_ACC:.0%}": NOT_REACHED if reach is None else str(reach),
                "time (s)": float(m["seconds"].sum()) if has else 0.0,
                "parameters": int(params[name]) if name in params else None,
            }
        )
    return pd.DataFrame(rows)


# Which direction wins for each numeric column of the comparison table.
BETTER = {
    "best val acc": "max",
    "final val acc": "max",
    "final train loss": "min",
    "final val loss": "min",
    "time (s)": "min",
    "parameters": "min",
}


def winners(table: pd.DataFrame) -> dict[str, str]:
    """For each metric, the variant that does best (ties: the first listed)."""
    out = {}
    if table.empty:
        return out
    for col, how in BETTER.items():
        s = pd.to_numeric(table[col], errors="coerce")
        if s.notna().any() and (s.nunique() > 1 or s.isna().any()):
            out[col] = table.loc[s.idxmax() if how == "max" else s.idxmin(), "variant"]
    reach = pd.to_numeric(table[f"epoch to {TARGET_ACC:.0%}"], errors="coerce")
    if reach.notna().any() and (reach.nunique() > 1 or reach.isna().any()):
        out[f"epoch to {TARGET_ACC:.0%}"] = table.loc[reach.idxmin(), "variant"]
    return out


def deltas(table: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Each variant minus the baseline (default: the first row) for the numeric metrics."""
    if table.empty:
        return table
    base = baseline if baseline is not None else table["variant"].iloc[0]
    ref = table.set_index("variant").loc[base]
    out = pd.DataFrame({"variant": table["variant"]})
    for col in BETTER:
        values = pd.to_numeric(table[col], errors="coerce")
        out[f"Δ {col}"] = values - pd.to_numeric(pd.Series([ref[col]]), errors="coerce")[0]
    return out


def highlight(table: pd.DataFrame, color: str = "#d9f2d9"):
    """A pandas Styler: the winner of each metric in bold on green, accuracies as percents."""
    wins = winners(table)

    def style_column(col: pd.Series) -> list[str]:
        best = wins.get(col.name)
        return [
            f"background-color: {color}; font-weight: 700" if best == v else ""
            for v in table["variant"]
        ]

    fmt = {
        "best val acc": "{:.1%}",
        "final val acc": "{:.1%}",
        "final train loss": "{:.3f}",
        "final val loss": "{:.3f}",
        "time (s)": "{:.0f}",
        "parameters": "{:,.0f}",
    }
    cols = [c for c in table.columns if c in wins]
    return table.style.apply(style_column, subset=cols).format(fmt, na_rep="—")


# How summary_sentences reads; a page passes its language's (ui/locales: "ablation").
SUMMARY_WORDS = {
    "acc": "best val acc {d:+.1f} points",
    "loss": "final val loss {d:+.3f}",
    "time": "{r:.2f}× the time",
    "line": "**{variant}** vs {base}: {parts}",
    "sep": ", ",
}


def summary_sentences(table: pd.DataFrame, words: dict = SUMMARY_WORDS) -> list[str]:
    """Plain-language differences against the baseline, e.g. 'ResNet-18-noBN: best val acc
    −4.2 points, 1.3× the time'."""
    if len(table) < 2:
        return []
    base = table.iloc[0]
    lines = []
    for _, row in table.iloc[1:].iterrows():
        parts = []
        if pd.notna(row["best val acc"]) and pd.notna(base["best val acc"]):
            d = 100 * (row["best val acc"] - base["best val acc"])
            parts.append(words["acc"].format(d=d))
        if pd.notna(row["final val loss"]) and pd.notna(base["final val loss"]):
            parts.append(words["loss"].format(d=row["final val loss"] - base["final val loss"]))
        if base["time (s)"] and row["time (s)"]:
            parts.append(words["time"].format(r=row["time (s)"] / base["time (s)"]))
        if parts:
            lines.append(words["line"].format(variant=row["variant"], base=base["variant"],
                                              parts=words["sep"].join(parts)))  # fmt: skip
    return lines


def long_metrics(metrics_by_variant: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tidy frame (variant, epoch, metric, split, kind, value) for plotting and CSV export."""
    frames = []
    for name, m in metrics_by_variant.items():
        if m is None or m.empty:
            continue
        cols = [c for c in METRICS if c in m]
        f = m.melt(id_vars=["epoch"], value_vars=cols, var_name="metric", value_name="value")
        f.insert(0, "variant", name)
        frames.append(f)
    if not frames:
        return pd.DataFrame(columns=["variant", "epoch", "metric", "split", "kind", "value"])
    out = pd.concat(frames, ignore_index=True)
    out["split"] = out["metric"].str.split("_").str[0]
    out["kind"] = out["metric"].str.split("_").str[1].map({"loss": "loss", "acc": "accuracy"})
    return out


def metrics_csv(metrics_by_variant: dict[str, pd.DataFrame]) -> str:
    """All variants' per-epoch metrics as one CSV (a ``variant`` column first)."""
    frames = [
        m.assign(variant=name)[["variant", *m.columns]]
        for name, m in metrics_by_variant.items()
        if m is not None and not m.empty
    ]
    if not frames:
        return "variant,epoch\n"
    return pd.concat(frames, ignore_index=True).to_csv(index=False)


def params_by_variant(specs: dict[str, ModelSpec]) -> dict[str, int]:
    """Parameter counts, computed from the specs without building the networks."""
    return {name: count_parameters(spec) for name, spec in specs.items()}


# -- what each network learned ---------------------------------------------------------------


def load_network(spec: ModelSpec, state_dict: dict[str, torch.Tensor]) -> nn.Module:
    """The trained network of a run (weights from ``RunStore.load_state_dict``), in eval mode."""
    return network_from_weights(spec, state_dict)


# -- launching -------------------------------------------------------------------------------


def group_label(group: AblationGroup, mode: str, seed: int, seeds: int = 1) -> str:
    """The ``group`` string stored with each run, so the store can list the group later."""
    stamp = time.strftime("%H:%M:%S")
    size = {"full": "full size", "classroom": "CPU classroom", "quick": "quick look"}[mode]
    which = f"seed {seed}" if seeds == 1 else f"seeds {seed}–{seed + seeds - 1}"
    return f"{group.title} · {size} · {which} · {stamp}"


def launch(
    manager,
    group: AblationGroup | str,
    mode: str = "classroom",
    seed: int = 0,
    user=None,
    estimate_s: float | None = None,
    seeds: int = 1,
    submit_token: str | None = None,
    **kwargs,
) -> list[str]:
    """Submit every variant of ``group`` as paired runs, all or none; returns their run ids.

    With ``seeds`` > 1 every variant runs once per seed, in the interleaved order of
    :func:`group_plan` (the queue starts them in that order). ``manager`` is a
    ``cnnviz.runs.RunManager``; ``user`` (a ``cnnviz.classroom.User``) is held to the class
    limits with the group counted as that student's runs (``estimate_s``: the longest run
    here; ``submit_token``: one per press of the launch button, see
    ``RunManager.submit_many``); ``kwargs`` go to :func:`group_configs`.
    """
    entries = group_entries(group, mode, seed, seeds, **kwargs)
    return manager.submit_many(
        entries, user, estimate_s, seeds=check_seeds(seeds), submit_token=submit_token
    )


def group_entries(
    group: AblationGroup | str, mode: str = "classroom", seed: int = 0, seeds: int = 1, **kwargs
) -> list[tuple]:
    """Every run of ``group`` as (config, name, group label, preset), in the order the queue
    should start them (:func:`group_plan`): what a launch queues, all or none."""
    group = GROUPS[group] if isinstance(group, str) else group
    plan = group_plan(group, mode, seed, seeds, **kwargs)
    label = group_label(group, mode, seed, len(plan) // len(group.variants))
    return [(config, v.name, label, v.preset) for v, _, config in plan]


# -- repeats: several seeds per variant ------------------------------------------------------


@dataclass(frozen=True)
class SeedRun:
    """One run of a variant: its seed, its per-epoch metrics and how many epochs it was
    meant to train (a run with fewer is still training, or was stopped)."""

    seed: int
    metrics: pd.DataFrame
    num_epochs: int
    run_id: str = ""

    @property
    def epochs(self) -> int:
        return 0 if self.metrics is None else len(self.metrics)

    @property
    def complete(self) -> bool:
        return self.epochs > 0 and self.epochs >= self.num_epochs


def variant_runs(records) -> dict[str, list]:
    """Runs (store records: name, group, config.seed, run_id) → variant name → its runs,
    seed by seed. Runs of one name *and* one group are the seeds of one variant; a second run
    of the same name and seed, or one from another group, becomes a variant of its own
    (named with its id's start). A group stored before seeds existed has one run per name:
    k = 1 for every variant."""
    out: dict[str, list] = {}
    group_of: dict[str, object] = {}
    for rec in records:
        name = rec.name
        if name in out and (
            group_of[name] != rec.group or any(r.config.seed == rec.config.seed for r in out[name])
        ):
            name = f"{rec.name} ({rec.run_id[:4]})"
        out.setdefault(name, []).append(rec)
        group_of.setdefault(name, rec.group)
    return {name: sorted(recs, key=lambda r: r.config.seed) for name, recs in out.items()}


def counted(runs: list[SeedRun]) -> list[SeedRun]:
    """The runs whose numbers a variant's summary uses: the complete ones, or while none is
    complete yet, those with at least one epoch (the live view of the first seed)."""
    done = [r for r in runs if r.complete]
    return done or [r for r in runs if r.epochs > 0]


def seeds_long(runs_by_variant: dict[str, list[SeedRun]]) -> pd.DataFrame:
    """:func:`long_metrics` of every run, with its ``seed`` and ``run_id``."""
    frames = [
        r.metrics.assign(variant=name, seed=r.seed, run_id=r.run_id)
        for name, runs in runs_by_variant.items()
        for r in runs
        if r.metrics is not None and not r.metrics.empty
    ]
    if not frames:
        return pd.DataFrame(
            columns=["variant", "epoch", "metric", "value", "split", "kind", "seed", "run_id"]
        )
    wide = pd.concat(frames, ignore_index=True)
    cols = [c for c in METRICS if c in wide]
    out = wide.melt(id_vars=["variant", "epoch", "seed", "run_id"], value_vars=cols,
                    var_name="metric", value_name="value")  # fmt: skip
    split = out["metric"].str.split("_")
    out["split"] = split.str[0]
    out["kind"] = split.str[1].map({"loss": "loss", "acc": "accuracy"})
    return out[["variant", "epoch", "metric", "value", "split", "kind", "seed", "run_id"]]


def curve_bands(runs_by_variant: dict[str, list[SeedRun]]) -> pd.DataFrame:
    """Per variant, metric and epoch: n, mean, sd, min and max over the seeds that reached that
    epoch (``stats.bands``)."""
    long = seeds_long(runs_by_variant)
    return stats.bands(long, ["variant", "metric", "split", "kind", "epoch"])


SPREAD_COLUMNS = ("best val acc", "final val acc", "final train loss", "final val loss",
                  "time (s)")  # fmt: skip


def seed_comparison(
    runs_by_variant: dict[str, list[SeedRun]], params: dict[str, int] | None = None
) -> pd.DataFrame:
    """:func:`comparison_table` over seeds: one row per variant with the mean of each metric
    over its counted runs (:func:`counted`), a ``… sd`` column beside each, ``seeds`` (runs
    counted) and ``of`` (runs in all). One run per variant gives the plain table (sd NaN)."""
    params = params or {}
    rows = []
    for name, runs in runs_by_variant.items():
        use = counted(runs)
        per_run = comparison_table({str(i): r.metrics for i, r in enumerate(use)})
        row = {"variant": name, "seeds": len(use), "of": len(runs),
               "epochs": int(per_run["epochs"].max()) if len(use) else 0}  # fmt: skip
        for col in SPREAD_COLUMNS:
            s = stats.spread(per_run[col]) if len(use) else stats.spread([])
            row[col], row[f"{col} sd"] = s.mean, s.sd
        reach = pd.to_numeric(per_run.get(f"epoch to {TARGET_ACC:.0%}"), errors="coerce")
        hit = stats.spread(reach.dropna()) if len(use) else stats.spread([])
        if hit.n == 0:
            row[f"epoch to {TARGET_ACC:.0%}"] = NOT_REACHED
        elif hit.n == len(use):
            row[f"epoch to {TARGET_ACC:.0%}"] = f"{hit.mean:g}"
        else:
            row[f"epoch to {TARGET_ACC:.0%}"] = f"{hit.mean:g} ({hit.n}/{len(use)})"
        row["parameters"] = int(params[name]) if name in params else None
        rows.append(row)
    return pd.DataFrame(rows)


def _mean_sd(value: float, sd: float, fmt: str, scale: float = 1.0) -> str:
    if pd.isna(value):
        return "—"
    text = fmt.format(value * scale)
    return text if pd.isna(sd) else f"{text} ± {fmt.format(sd * scale)}"


def seed_display(table: pd.DataFrame) -> pd.DataFrame:
    """The table of :func:`seed_comparison` as text: "84.1 ± 0.9" (percent for accuracies,
    the ± part only with two seeds or more), ``seeds`` as counted/all."""
    out = pd.DataFrame({"variant": table["variant"]})
    pairs = zip(table["seeds"], table["of"], strict=True)
    out["seeds"] = [f"{n}/{k}" if n != k else str(n) for n, k in pairs]
    out["epochs"] = table["epochs"]
    fmts = {"best val acc": ("{:.1f}", 100.0), "final val acc": ("{:.1f}", 100.0),
            "final train loss": ("{:.3f}", 1.0), "final val loss": ("{:.3f}", 1.0),
            "time (s)": ("{:.0f}", 1.0)}  # fmt: skip
    for col, (fmt, scale) in fmts.items():
        cells = [_mean_sd(v, sd, fmt, scale) for v, sd in zip(table[col], table[f"{col} sd"],
                                                               strict=True)]  # fmt: skip
        out[col] = [c + " %" if scale == 100.0 and c != "—" else c for c in cells]
    out[f"epoch to {TARGET_ACC:.0%}"] = table[f"epoch to {TARGET_ACC:.0%}"]
    out["parameters"] = [("—" if pd.isna(p) else f"{int(p):,}") for p in table["parameters"]]
    return out


def seed_highlight(table: pd.DataFrame, color: str = "#d9f2d9"):
    """:func:`seed_display` as a Styler: the winner of each metric (by its mean) in bold on
    green."""
    wins = winners(table)
    shown = seed_display(table)

    def style_column(col: pd.Series) -> list[str]:
        best = wins.get(col.name)
        return [
            f"background-color: {color}; font-weight: 700" if best == v else ""
            for v in shown["variant"]
        ]

    cols = [c for c in shown.columns if c in wins]
    return shown.style.apply(style_column, subset=cols)


PAIR_METRIC = "final val acc"


def pair_table(
    runs_by_variant: dict[str, list[SeedRun]],
    metric: str = PAIR_METRIC,
    level: float = stats.LEVEL,
) -> pd.DataFrame:
    """Every pair of variants (each later one against each earlier one, the baseline's pairs
    first): ``metric`` of b − a paired by seed over the seeds complete in both, as
    ``stats.paired_interval`` gives it (n, mean, sd, low, high)."""
    col = {"final val acc": "val_acc", "final val loss": "val_loss",
           "final train loss": "train_loss"}[metric]  # fmt: skip
    finals = {
        name: {r.seed: float(r.metrics[col].iloc[-1]) for r in runs if r.complete}
        for name, runs in runs_by_variant.items()
    }
    names = list(runs_by_variant)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            iv = stats.paired_interval(finals[a], finals[b], level)
            rows.append({"a": a, "b": b, "n": iv.n, "mean": iv.mean, "sd": iv.sd,
                         "low": iv.low, "high": iv.high, "level": level,
                         "excludes zero": iv.excludes_zero})  # fmt: skip
    return pd.DataFrame(
        rows, columns=["a", "b", "n", "mean", "sd", "low", "high", "level", "excludes zero"]
    )


def _interval(row) -> stats.Interval:
    return stats.Interval(int(row["n"]), row["mean"], row["sd"], row["low"], row["high"],
                          row["level"])  # fmt: skip


def verdicts(pairs: pd.DataFrame, words: dict = stats.VERDICT_WORDS) -> list[str]:
    """The sentence of every pair with at least ``stats.MIN_SEEDS_VERDICT`` seeds (see
    ``stats.verdict``): accuracy differences in points."""
    lines = []
    for _, row in pairs.iterrows():
        if line := stats.verdict(_interval(row), row["a"], row["b"], words):
            lines.append(line)
    return lines


def pair_display(pairs: pd.DataFrame, scale: float = 100.0) -> pd.DataFrame:
    """The pairs as text: the difference and its interval in points ("+57.0 [52.9, 61.1]")."""
    out = pd.DataFrame({"a": pairs["a"], "b": pairs["b"], "seeds": pairs["n"]})

    def cell(row, key):
        return "—" if pd.isna(row[key]) else stats.signed(row[key] * scale)

    out["b − a"] = [cell(r, "mean") for _, r in pairs.iterrows()]
    out["95% CI"] = [
        "—"
        if pd.isna(r["low"])
        else f"[{stats.signed(r['low'] * scale)}, {stats.signed(r['high'] * scale)}]"
        for _, r in pairs.iterrows()
    ]
    return out


def seeds_csv(runs_by_variant: dict[str, list[SeedRun]]) -> str:
    """Every run's per-epoch metrics as one CSV: variant, seed, run_id, then the metrics."""
    frames = [
        r.metrics.assign(variant=name, seed=r.seed, run_id=r.run_id)[
            ["variant", "seed", "run_id", *r.metrics.columns]
        ]
        for name, runs in runs_by_variant.items()
        for r in runs
        if r.metrics is not None and not r.metrics.empty
    ]
    if not frames:
        return "variant,seed,run_id,epoch\n"
    return pd.concat(frames, ignore_index=True).to_csv(index=False)


def bands_csv(runs_by_variant: dict[str, list[SeedRun]]) -> str:
    """The curves' mean and spread as CSV: variant, metric, epoch, n, mean, sd, min, max."""
    b = curve_bands(runs_by_variant)
    return b[["variant", "metric", "epoch", "n", "mean", "sd", "min", "max"]].to_csv(index=False)


def comparison_json(
    runs_by_variant: dict[str, list[SeedRun]],
    params: dict[str, int] | None = None,
    words: dict = stats.VERDICT_WORDS,
) -> dict:
    """The final comparison as plain data (the CLI's ``--json``): per variant the mean and sd
    of each metric, per pair the difference and its interval, and the sentences."""

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v.item() if hasattr(v, "item") else v

    table = seed_comparison(runs_by_variant, params)
    pairs = pair_table(runs_by_variant)
    return {
        "variants": [{k: clean(v) for k, v in row.items()} for row in table.to_dict("records")],
        "pairs": [{k: clean(v) for k, v in row.items()} for row in pairs.to_dict("records")],
        "verdicts": verdicts(pairs, words),
        "method": f"paired t interval ({stats.LEVEL:.0%}) of {PAIR_METRIC}, paired by seed",
    }


def mean_confusion(cms: list) -> np.ndarray:
    """The average of several runs' confusion matrices, in whole images: each cell the mean
    over the runs, rounded by largest remainder within its row so every row still sums to
    its class's (mean) number of images — what an average seed got right and confused."""
    stack = np.stack([np.asarray(cm, dtype=np.float64) for cm in cms])
    mean = stack.mean(0)
    floor = np.floor(mean)
    out = floor.astype(np.int64)
    for i, row in enumerate(mean):
        short = int(round(row.sum())) - int(floor[i].sum())
        if short > 0:
            order = np.argsort(-(row - floor[i]), kind="stable")[:short]
            out[i, order] += 1
    return out
