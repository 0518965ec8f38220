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
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from cnnviz.errors import KeyedError
from cnnviz.features import first_layer_kernels, first_layer_maps  # noqa: F401 (A.*)
from cnnviz.models import (
    PRESETS,
    LeNetSpec,
    ModelSpec,
    ResNetSpec,
    VGGSpec,
    build_model,
    count_parameters,
)
from cnnviz.models.specs import ACTIVATIONS

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

# Fields a custom grid may vary, with the values offered and the families they apply to.
GRID_FIELDS: dict[str, dict] = {
    "activation": {"values": ACTIVATIONS, "families": ("lenet", "vgg")},
    "batch_norm": {"values": (True, False), "families": ("resnet",)},
    "skip": {"values": (True, False), "families": ("resnet",)},
    "lr": {"values": (0.001, 0.01, 0.03, 0.1, 0.3), "families": ("lenet", "vgg", "resnet")},
    "input_size": {"values": (28, 32, 48, 56, 96, 112, 224), "families": ("vgg", "resnet")},
}


def min_input_size(spec: ModelSpec) -> int:
    """The smallest input a spec's network accepts (every VGG pool halves it; d2l 7.3)."""
    if isinstance(spec, VGGSpec):
        return 2 ** len(spec.arch)
    if isinstance(spec, ResNetSpec):
        return 16
    return spec.input_size


def scale_spec(spec: ModelSpec, scale: float) -> ModelSpec:
    """``spec`` with its input size multiplied by ``scale`` (LeNet keeps its 28×28)."""
    if scale == 1.0 or isinstance(spec, LeNetSpec):
        return spec
    size = max(min_input_size(spec), int(round(spec.input_size * scale)))
    return dataclasses.replace(spec, input_size=size)


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
    template = GROUPS[spec.family]  # the family's built-in group lends its settings
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


def group_configs(
    group: AblationGroup | str,
    mode: str = "classroom",
    seed: int = 0,
    scale: float | None = None,
    device: str = "auto",
    **overrides,
) -> list:
    """Paired ``RunConfig`` s, one per variant, differing only in the ablated spec fields.

    Args:
        group: a group or a key of :data:`GROUPS`.
        mode: "quick" (seconds), "classroom" (minutes on a CPU) or "full" (the book's).
        seed: shared by every run: same init seed and same data order.
        scale: overrides the setting's input-size scale (tests use a small one).
        device: "auto", "cpu" or "cuda".
        **overrides: RunConfig fields (num_epochs, limit, val_limit, batch_size) for all runs.
    """
    from cnnviz.train import RunConfig

    group = GROUPS[group] if isinstance(group, str) else group
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
    net = build_model(spec)
    net.load_state_dict(state_dict)
    return net.eval()


# -- launching -------------------------------------------------------------------------------


def group_label(group: AblationGroup, mode: str, seed: int) -> str:
    """The ``group`` string stored with each run, so the store can list the group later."""
    stamp = time.strftime("%H:%M:%S")
    size = {"full": "full size", "classroom": "CPU classroom", "quick": "quick look"}[mode]
    return f"{group.title} · {size} · seed {seed} · {stamp}"


def launch(
    manager,
    group: AblationGroup | str,
    mode: str = "classroom",
    seed: int = 0,
    user=None,
    estimate_s: float | None = None,
    **kwargs,
) -> list[str]:
    """Submit every variant of ``group`` as paired runs, all or none; returns their run ids.

    ``manager`` is a ``cnnviz.runs.RunManager``; ``user`` (a ``cnnviz.classroom.User``) is
    held to the class limits with the group counted as that student's runs (``estimate_s``:
    the longest variant here); ``kwargs`` go to :func:`group_configs`.
    """
    group = GROUPS[group] if isinstance(group, str) else group
    configs = group_configs(group, mode, seed, **kwargs)
    label = group_label(group, mode, seed)
    entries = [
        (config, v.name, label, v.preset) for v, config in zip(group.variants, configs, strict=True)
    ]
    return manager.submit_many(entries, user, estimate_s)
