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

from cnnviz.insight import (
    Mistake,
    class_names,
    confusion_difference,
    per_class_accuracy,
    row_normalised,
)
from cnnviz.plots.base import FONT, PALETTE, PATTERNS, fast_figure, plain, to_numpy

MUTED = "#b8c2cc"  # the classes that are not the answer
GRID = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
# Transparent where the map is 0, opaque red where it is 1: the image shows through.
SALIENCY_SCALE = [
    [0.0, "rgba(255, 255, 0, 0)"],
    [0.2, "rgba(255, 230, 0, 0.15)"],
    [0.5, "rgba(255, 140, 0, 0.5)"],
    [1.0, "rgba(230, 0, 0, 0.85)"],
]

# Every figure here is rebuilt on reruns (the probabilities and the map on every stroke), so
# all are built from plain dicts without Plotly's validation (plots.base.fast_figure), with
# every font set part by part as plots.base.set_font_size does (presenter mode).


# The charts' words; a page passes its language's (ui/locales: "insight" "charts"). "classes":
# the class names (None: Fashion-MNIST's, "class k" beyond).
WORDS = {
    "classes": None,
    "class_n": "class {k}",
    "probability": "probability",
    "predicted": "predicted class",
    "true": "true class",
    "share": "share<br>of the row",
    "cm_hover": "true %{{y}} → predicted %{{x}}<br>%{{text}} images: %{{customdata[0]:.1%}} of "
    "the %{{customdata[1]}} %{{y}} images",
    "correct": "correct",
    "correct_hover": "%{{x:.1%}} correct",
    "better_in": "better in<br>{b}",
    "worse": "worse",
    "same": "same",
    "better": "better",
    "diff_hover": "true %{{y}} → predicted %{{x}}<br>{a}: %{{customdata[0]}}, {b}: "
    "%{{customdata[1]}} (%{{text}})",
    "weight": "weight",
    "sal_hover": "row %{{y}}, column %{{x}}<br>map %{{z:.2f}}, pixel %{{customdata:.2f}}",
    "head": "#{i}: {a} **{true}** taken for {a2} **{said}** ({p:.0%})",
}


def _names(k: int, words: dict) -> list[str]:
    given = list(words.get("classes") or class_names(min(k, 10)))
    return [given[i] if i < len(given) else words["class_n"].format(k=i) for i in range(k)]


def _axis(font_size: int, title: str | None = None, **extra) -> dict:
    axis = dict(GRID, tickfont=dict(size=font_size), **extra)
    if title:
        axis["title"] = dict(text=title, font=dict(size=font_size))
    return axis


def _layout(font_size: int, height: int, xaxis: dict, yaxis: dict, **extra) -> dict:
    return dict(
        font=dict(FONT, size=font_size), margin=dict(l=10, r=10, t=10, b=10),
        paper_bgcolor="white", plot_bgcolor="white", height=height, xaxis=xaxis, yaxis=yaxis,
        **extra,
    )  # fmt: skip


def _legend(font_size: int) -> dict:
    return dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=font_size))


def _colors(runs, colors: dict[str, str] | None) -> dict[str, str]:
    return colors or {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(runs)}


def probability_bars(
    probs: dict[str, np.ndarray], colors: dict[str, str] | None = None, font_size: int = 14,
    height: int | None = None, words: dict = WORDS,
) -> go.Figure:  # fmt: skip
    """The class probabilities as horizontal bars, one group per class.

    One run: its answer (the top class) in the run's colour, the other classes grey. Two or
    more runs: grouped bars in each run's colour, each run's answer opaque and its other bars
    faint, so where they disagree is seen at once.

    Args:
        probs: run name → probabilities (num_classes,), e.g. from ``insight.predict``.
        colors: run name → colour (default: the shared palette in order).
    """
    colors = _colors(probs, colors)
    k = max(len(np.asarray(p)) for p in probs.values())
    names = _names(k, words)
    single = len(probs) == 1
    traces = []
    for n, (name, p) in enumerate(probs.items()):
        p = np.asarray(p, dtype=np.float64)
        top = int(p.argmax())
        color = colors[name]
        marker = dict(color=[color if i == top or not single else MUTED for i in range(len(p))])
        if not single:  # a run's bars also have its own fill pattern: not colour alone
            marker["opacity"] = [1.0 if i == top else 0.4 for i in range(len(p))]
            marker["pattern"] = dict(shape=PATTERNS[n % len(PATTERNS)])
        traces.append(dict(
            type="bar", x=p, y=names[: len(p)], orientation="h", name=plain(name),
            marker=marker, text=[f"{v:.0%}" if v >= 0.005 else "" for v in p],
            textposition="outside", cliponaxis=False, textfont=dict(size=font_size),
            constraintext="none",
            hovertemplate=f"{plain(name)}<br>%{{y}}: %{{x:.1%}}<extra></extra>",
        ))  # fmt: skip
    per_class = len(probs) * (font_size + 8) + 10  # room for each run's bar and its label
    layout = _layout(
        font_size, height or max(340, 10 * per_class + 6 * font_size),
        xaxis=_axis(font_size, words["probability"], range=[0, 1.15], tickformat=".0%",
                    dtick=0.25),
        yaxis=_axis(font_size, autorange="reversed", type="category"),
        barmode="group", bargap=0.2, bargroupgap=0.05, showlegend=not single,
        legend=_legend(font_size),
    )  # fmt: skip
    return fast_figure(traces, layout)


def _matrix_axes(font_size: int, words: dict) -> dict:
    return dict(
        xaxis=_axis(font_size, words["predicted"], type="category", tickangle=-40),
        yaxis=_axis(font_size, words["true"], type="category", autorange="reversed"),
    )


def confusion_heatmap(
    cm: np.ndarray, font_size: int = 14, height: int | None = None, color: str = PALETTE[0],
    words: dict = WORDS,
) -> go.Figure:  # fmt: skip
    """A confusion matrix (row = true class, column = predicted), coloured by the row's share
    (where each class's images went) and annotated with counts; hover gives both."""
    cm = np.asarray(cm)
    rates = row_normalised(cm)
    names = _names(len(cm), words)
    rows = cm.sum(1)
    custom = np.dstack([rates, np.repeat(rows[:, None], len(cm), 1)])
    trace = dict(
        type="heatmap", z=rates, x=names, y=names, zmin=0, zmax=1,
        colorscale=[[0, "#ffffff"], [1, color]], text=cm, texttemplate="%{text}",
        customdata=custom, textfont=dict(size=max(font_size - 2, 10)), xgap=1, ygap=1,
        colorbar=dict(title=dict(text=words["share"], font=dict(size=font_size)),
                      tickformat=".0%", tickfont=dict(size=font_size)),
        hovertemplate=words["cm_hover"].format() + "<extra></extra>",
    )  # fmt: skip
    layout = _layout(font_size, height or 420 + 8 * font_size, **_matrix_axes(font_size, words))
    return fast_figure([trace], layout)


def per_class_accuracy_bars(
    cms: dict[str, np.ndarray], colors: dict[str, str] | None = None, font_size: int = 14,
    height: int | None = None, words: dict = WORDS,
) -> go.Figure:  # fmt: skip
    """Each class's share of correct answers, one bar per run (grouped when comparing)."""
    colors = _colors(cms, colors)
    traces = []
    for n, (name, cm) in enumerate(cms.items()):
        acc = per_class_accuracy(cm)
        traces.append(dict(
            type="bar", x=acc, y=_names(len(acc), words), orientation="h", name=plain(name),
            marker=dict(color=colors[name], pattern=dict(shape=PATTERNS[n % len(PATTERNS)])),
            textfont=dict(size=font_size),
            text=[f"{v:.0%}" if np.isfinite(v) else "–" for v in acc],
            textposition="outside", cliponaxis=False, constraintext="none",
            hovertemplate=f"{plain(name)}<br>%{{y}}: {words['correct_hover'].format()}"
            "<extra></extra>",
        ))  # fmt: skip
    layout = _layout(
        font_size, height or 420 + 8 * font_size,
        xaxis=_axis(font_size, words["correct"], range=[0, 1.15], tickformat=".0%", dtick=0.25),
        yaxis=_axis(font_size, autorange="reversed", type="category"),
        barmode="group", showlegend=len(cms) > 1, legend=_legend(font_size),
    )  # fmt: skip
    return fast_figure(traces, layout)


def difference_heatmap(
    cm_a: np.ndarray, cm_b: np.ndarray, name_a: str, name_b: str, font_size: int = 14,
    height: int | None = None, words: dict = WORDS,
) -> go.Figure:  # fmt: skip
    """Run B against run A, cell by cell, annotated with B − A in images.

    Coloured by what the change is worth, centred at zero: blue where B does better (more right
    answers on the diagonal, fewer confusions off it), red where it does worse.
    """
    diff = confusion_difference(cm_a, cm_b)
    names = _names(len(diff), words)
    worth = -diff.astype(np.float64)
    np.fill_diagonal(worth, np.diag(diff))
    m = float(np.abs(worth).max()) or 1.0
    custom = np.dstack([np.asarray(cm_a), np.asarray(cm_b)])
    text = np.vectorize(lambda v: f"{v:+d}" if v else "0")(diff)
    a, b = plain(name_a), plain(name_b)
    trace = dict(
        type="heatmap", z=worth, x=names, y=names, zmin=-m, zmax=m, zmid=0, colorscale="RdBu",
        text=text, texttemplate="%{text}", customdata=custom, xgap=1, ygap=1,
        textfont=dict(size=max(font_size - 2, 10)),
        colorbar=dict(title=dict(text=words["better_in"].format(b=b), font=dict(size=font_size)),
                      tickvals=[-m, 0, m],
                      ticktext=[words["worse"], words["same"], words["better"]],
                      tickfont=dict(size=font_size)),
        hovertemplate=words["diff_hover"].format(a=a, b=b) + "<extra></extra>",
    )  # fmt: skip
    layout = _layout(font_size, height or 420 + 8 * font_size, **_matrix_axes(font_size, words))
    return fast_figure([trace], layout)


def saliency_overlay(
    image, saliency, title: str | None = None, font_size: int = 14, height: int | None = None,
    words: dict = WORDS,
) -> go.Figure:  # fmt: skip
    """The prepared image in grey with the saliency map on top as a heatmap that is
    transparent where the map is 0 and opaque red where it is 1."""
    img = to_numpy(image).astype(np.float64)
    if img.ndim == 3:
        img = img.mean(0)
    sal = np.asarray(saliency, dtype=np.float64)
    traces = [
        dict(type="heatmap", z=img, colorscale="gray", zmin=0, zmax=1, showscale=False,
             hoverinfo="skip"),
        dict(type="heatmap", z=sal, zmin=0, zmax=1, colorscale=SALIENCY_SCALE, customdata=img,
             colorbar=dict(title=dict(text=words["weight"], font=dict(size=font_size)),
                           tickvals=[0, 0.5, 1], len=0.8, tickfont=dict(size=font_size)),
             hovertemplate=words["sal_hover"].format() + "<extra></extra>"),
    ]  # fmt: skip
    hidden = dict(visible=False, constrain="domain")
    layout = _layout(
        font_size, height or 340 + 4 * font_size, xaxis=hidden,
        yaxis=dict(hidden, autorange="reversed", scaleanchor="x"),
    )  # fmt: skip
    if title:
        layout["title"] = dict(text=plain(title), font=dict(size=font_size + 2))
        layout["margin"] = dict(l=10, r=10, t=40 + font_size, b=10)
    return fast_figure(traces, layout)


def upscale(image, factor: int) -> np.ndarray:
    """(H, W) in [0, 1] or uint8 → uint8 (H·factor, W·factor), nearest neighbour: sharp pixels
    in the browser, which would blur a small image it enlarges itself."""
    if isinstance(image, torch.Tensor) and image.dtype == torch.uint8:
        a = image.cpu().numpy()
    else:
        a = to_numpy(image)
    if a.ndim == 3 and a.dtype == np.uint8:
        a = a[0] if a.shape[0] == 1 else a.mean(0).round().astype(np.uint8)
    elif a.ndim == 3:
        a = a.mean(0)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(np.repeat(a, factor, 0), factor, 1)


def top3_text(m: Mistake, num_classes: int = 10, words: dict = WORDS) -> str:
    """``"t-shirt 97% · shirt 2% · pullover 1%"``."""
    names = _names(max(num_classes, 1 + max(c for c, _ in m.top3)), words)
    return " · ".join(f"{names[c]} {p:.0%}" for c, p in m.top3)


def gallery_tiles(
    images_u8, mistakes: list[Mistake], scale: int = 4, words: dict = WORDS
) -> list[tuple[np.ndarray, str, str]]:
    """One tile per mistake: (the test image enlarged, its headline, its top three)."""
    names = _names(10, words)
    tiles = []
    for m in mistakes:
        true, said = _name(names, m.true, words), _name(names, m.predicted, words)
        head = words["head"].format(
            i=m.index, a=article(true), true=true, a2=article(said), said=said, p=m.confidence
        )
        tiles.append((upscale(images_u8[m.index], scale), head, top3_text(m, words=words)))
    return tiles


def article(noun: str) -> str:
    """ "an" before a vowel ("an ankle boot"), "a" otherwise ("a shirt")."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _name(names: list[str], k: int, words: dict = WORDS) -> str:
    return names[k] if k < len(names) else words["class_n"].format(k=k)
