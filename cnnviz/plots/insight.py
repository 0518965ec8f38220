"""Figures of what a trained network learned (beyond the book; d2l 7.6, 8.2, 8.6 train these
networks): class probabilities, confusion matrices, per-class accuracy, the difference of two
runs, saliency over an image, and the tiles of the mistakes gallery.

Classes are listed top to bottom in Fashion-MNIST's order (t-shirt … ankle boot) everywhere,
and each run keeps its colour (``PALETTE[i]``) in every figure, as in the ablation lab.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from cnnviz.insight import Mistake, class_names, per_class_accuracy, row_normalised
from cnnviz.plots.base import PALETTE, _np, base_layout, set_font_size

MUTED = "#b8c2cc"  # the classes that are not the answer
# Transparent where the map is 0, opaque red where it is 1: the image shows through.
SALIENCY_SCALE = [
    [0.0, "rgba(255, 255, 0, 0)"],
    [0.2, "rgba(255, 230, 0, 0.15)"],
    [0.5, "rgba(255, 140, 0, 0.5)"],
    [1.0, "rgba(230, 0, 0, 0.85)"],
]


def _finish(fig: go.Figure, font_size: int, height: int | None) -> go.Figure:
    base_layout(fig, None, height)
    set_font_size(fig, font_size)
    return fig


def probability_bars(
    probs: dict[str, np.ndarray], colors: dict[str, str] | None = None, font_size: int = 14,
    height: int | None = None,
) -> go.Figure:  # fmt: skip
    """The class probabilities as horizontal bars, one group per class.

    One run: its answer (the top class) in the run's colour, the other classes grey. Two or
    more runs: grouped bars in each run's colour, each run's answer opaque and its other bars
    faint, so where they disagree is seen at once.

    Args:
        probs: run name → probabilities (num_classes,), e.g. from ``insight.predict``.
        colors: run name → colour (default: the shared palette in order).
    """
    colors = colors or {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(probs)}
    k = max(len(np.asarray(p)) for p in probs.values())
    names = class_names(k)
    fig = go.Figure()
    single = len(probs) == 1
    for name, p in probs.items():
        p = np.asarray(p, dtype=np.float64)
        top = int(p.argmax())
        color = colors[name]
        fig.add_trace(
            go.Bar(
                x=p, y=names[: len(p)], orientation="h", name=name,
                marker=dict(
                    color=[color if i == top or not single else MUTED for i in range(len(p))],
                    opacity=None if single else [1.0 if i == top else 0.4 for i in range(len(p))],
                ),
                text=[f"{v:.0%}" if v >= 0.005 else "" for v in p],
                textposition="outside", cliponaxis=False,
                hovertemplate=f"{name}<br>%{{y}}: %{{x:.1%}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text="probability", dtick=0.25)
    fig.update_layout(
        barmode="group", bargap=0.2, bargroupgap=0.05, showlegend=not single,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
    )  # fmt: skip
    rows = 28 if single else 20 * len(probs) + 8
    return _finish(fig, font_size, height or max(320, 10 * rows + font_size * 6))


def confusion_heatmap(
    cm: np.ndarray, font_size: int = 14, height: int | None = None, color: str = PALETTE[0]
) -> go.Figure:
    """A confusion matrix (row = true class, column = predicted), coloured by the row's share
    (where each class's images went) and annotated with counts; hover gives both."""
    cm = np.asarray(cm)
    rates = row_normalised(cm)
    names = class_names(len(cm))
    rows = cm.sum(1)
    custom = np.dstack([rates, np.repeat(rows[:, None], len(cm), 1)])
    fig = go.Figure(
        go.Heatmap(
            z=rates, x=names, y=names, zmin=0, zmax=1,
            colorscale=[[0, "#ffffff"], [1, color]],
            text=cm, texttemplate="%{text}", customdata=custom,
            textfont=dict(size=max(font_size - 2, 10)),
            colorbar=dict(title=dict(text="share<br>of the row"), tickformat=".0%"),
            hovertemplate="true %{y} → predicted %{x}<br>%{text} images: %{customdata[0]:.1%} "
            "of the %{customdata[1]} %{y} images<extra></extra>",
            xgap=1, ygap=1,
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", title_text="true class", type="category")
    fig.update_xaxes(title_text="predicted class", type="category", tickangle=-40)
    return _finish(fig, font_size, height or 420 + 8 * font_size)


def per_class_accuracy_bars(
    cms: dict[str, np.ndarray], colors: dict[str, str] | None = None, font_size: int = 14,
    height: int | None = None,
) -> go.Figure:  # fmt: skip
    """Each class's share of correct answers, one bar per run (grouped when comparing)."""
    colors = colors or {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(cms)}
    fig = go.Figure()
    for name, cm in cms.items():
        acc = per_class_accuracy(cm)
        names = class_names(len(acc))
        fig.add_trace(
            go.Bar(
                x=acc, y=names, orientation="h", name=name, marker_color=colors[name],
                text=[f"{v:.0%}" if np.isfinite(v) else "–" for v in acc],
                textposition="outside", cliponaxis=False,
                hovertemplate=f"{name}<br>%{{y}}: %{{x:.1%}} correct<extra></extra>",
            )
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text="correct", dtick=0.25)
    fig.update_layout(
        barmode="group", showlegend=len(cms) > 1,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
    )  # fmt: skip
    return _finish(fig, font_size, height or 420 + 8 * font_size)


def difference_heatmap(
    cm_a: np.ndarray, cm_b: np.ndarray, name_a: str, name_b: str, font_size: int = 14,
    height: int | None = None,
) -> go.Figure:  # fmt: skip
    """Run B against run A, cell by cell, annotated with B − A in images.

    Coloured by what the change is worth, centred at zero: blue where B does better (more right
    answers on the diagonal, fewer confusions off it), red where it does worse.
    """
    from cnnviz.insight import confusion_difference

    diff = confusion_difference(cm_a, cm_b)
    names = class_names(len(diff))
    worth = -diff.astype(np.float64)
    np.fill_diagonal(worth, np.diag(diff))
    m = float(np.abs(worth).max()) or 1.0
    a, b = np.asarray(cm_a), np.asarray(cm_b)
    custom = np.dstack([a, b])
    text = np.vectorize(lambda v: f"{v:+d}" if v else "0")(diff)
    fig = go.Figure(
        go.Heatmap(
            z=worth, x=names, y=names, zmin=-m, zmax=m, zmid=0, colorscale="RdBu",
            text=text, texttemplate="%{text}", customdata=custom,
            textfont=dict(size=max(font_size - 2, 10)),
            colorbar=dict(title=dict(text=f"better in<br>{name_b}"), tickvals=[-m, 0, m],
                          ticktext=["worse", "same", "better"]),
            hovertemplate=f"true %{{y}} → predicted %{{x}}<br>{name_a}: %{{customdata[0]}}, "
            f"{name_b}: %{{customdata[1]}} (%{{text}})<extra></extra>",
            xgap=1, ygap=1,
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", title_text="true class", type="category")
    fig.update_xaxes(title_text="predicted class", type="category", tickangle=-40)
    return _finish(fig, font_size, height or 420 + 8 * font_size)


def saliency_overlay(
    image, saliency, title: str | None = None, font_size: int = 14, height: int | None = None
) -> go.Figure:
    """The prepared image in grey with the saliency map on top as a heatmap that is
    transparent where the map is 0 and opaque red where it is 1."""
    img = _np(image).astype(np.float64)
    if img.ndim == 3:
        img = img.mean(0)
    sal = np.asarray(saliency, dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(z=img, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Heatmap(
            z=sal, zmin=0, zmax=1, colorscale=SALIENCY_SCALE, customdata=img,
            colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.5, 1], len=0.8),
            hovertemplate="row %{y}, column %{x}<br>map %{z:.2f}, pixel %{customdata:.2f}"
            "<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", visible=False)
    fig.update_xaxes(constrain="domain", visible=False)
    fig = _finish(fig, font_size, height or 340 + 4 * font_size)
    fig.update_layout(title=dict(text=title, font_size=font_size + 2) if title else None)
    if title:
        fig.update_layout(margin=dict(t=40 + font_size))
    return fig


def upscale(image, factor: int) -> np.ndarray:
    """(H, W) in [0, 1] or uint8 → uint8 (H·factor, W·factor), nearest neighbour: sharp pixels
    in the browser, which would blur a small image it enlarges itself."""
    if isinstance(image, torch.Tensor) and image.dtype == torch.uint8:
        a = image.cpu().numpy()
    else:
        a = _np(image)
    if a.ndim == 3 and a.dtype == np.uint8:
        a = a[0] if a.shape[0] == 1 else a.mean(0).round().astype(np.uint8)
    elif a.ndim == 3:
        a = a.mean(0)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(np.repeat(a, factor, 0), factor, 1)


def top3_text(m: Mistake, num_classes: int = 10) -> str:
    """``"t-shirt 97% · shirt 2% · pullover 1%"``."""
    names = class_names(max(num_classes, 1 + max(c for c, _ in m.top3)))
    return " · ".join(f"{names[c]} {p:.0%}" for c, p in m.top3)


def gallery_tiles(
    images_u8, mistakes: list[Mistake], scale: int = 4
) -> list[tuple[np.ndarray, str, str]]:
    """One tile per mistake: (the test image enlarged, its headline, its top three)."""
    names = class_names(10)
    tiles = []
    for m in mistakes:
        true, said = _name(names, m.true), _name(names, m.predicted)
        head = (
            f"#{m.index}: {article(true)} **{true}** taken for {article(said)} **{said}** "
            f"({m.confidence:.0%})"
        )
        tiles.append((upscale(images_u8[m.index], scale), head, top3_text(m)))
    return tiles


def article(noun: str) -> str:
    """ "an" before a vowel ("an ankle boot"), "a" otherwise ("a shirt")."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _name(names: list[str], k: int) -> str:
    return names[k] if k < len(names) else f"class {k}"
