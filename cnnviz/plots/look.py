"""Streamlit's chart look, carried by the figure itself, so the browser draws a chart once.

``st.plotly_chart(theme="streamlit")`` sends the figure as it is and lets Streamlit's
frontend restyle it: the chart component parses the figure, merges the theme's fonts and
colours into ``layout.template.layout`` and puts the figure in its state; then an effect that
runs on every mount restyles that state again, into new objects. A changed figure changes
the element's id, so every change mounts the chart anew and Plotly draws it twice: once on
mount and once more for the restyled copy (whose data arrays are new objects, so Plotly
recomputes and redraws everything).

:func:`with_look` gives a figure for ``theme=None`` that looks the same:

* the theme's look (:data:`LOOK`, what the frontend merges for the app's light theme) and
  the figure's template are written into the layout and the traces, the figure's own values
  winning as a template's defaults would; the figure then carries no template (a template
  is an object Plotly compares by identity, so even an equal one means "redraw");
* the colour placeholders of Streamlit's Python template (``#000001`` …) become the colours
  the frontend would put in their place;
* a title is bold, as the theme makes it;
* ``layout.datarevision`` is set: Plotly then compares data arrays by this revision instead
  of by identity, and the frontend's second, equal copy changes nothing, so Plotly draws once.
  Every change of the figure mounts a new chart, so one revision per chart is right;
* numeric arrays up to :data:`LIST_MAX` numbers go as JSON lists, not as plotly.py's base64
  typed arrays: Plotly decodes a base64 array into a new typed array on every update and
  then counts it as changed whatever the revision says, so such a chart is drawn twice. A
  larger array stays base64 (smaller to send; that chart is drawn twice).
"""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go

FAMILY = '"Source Sans", sans-serif, "Source Sans", sans-serif'
TEXT = "#111111"  # .streamlit/config.toml's textColor
GREY_70 = "#808495"  # the theme's faded text: tick labels, axis titles
GREY_90 = "#262730"
LINE = "#e6eaf1"  # grid, zero and tick lines
WHITE = "#ffffff"  # backgroundColor
SMALL, MEDIUM, LARGE = 12.75, 14.875, 17  # the theme's twoSm, sm, md at baseFontSize 17

# The layout Streamlit's frontend (1.67) merges into every chart's template.layout for the
# app's theme (.streamlit/config.toml: light, textColor #111111, baseFontSize 17), read from
# a chart drawn with theme="streamlit". tests/test_browser_charts.py checks it against one.
LOOK: dict = {
    "font": {"color": GREY_70, "family": FAMILY, "size": SMALL, "weight": 400},
    "title": {
        "color": TEXT, "subtitleColor": TEXT, "pad": {"l": 4.25}, "xanchor": "left", "x": 0,
        "font": {"family": FAMILY, "size": LARGE, "color": TEXT},
    },
    "legend": {
        "title": {"font": {"size": SMALL, "color": GREY_70}, "side": "top"},
        "valign": "top", "bordercolor": "transparent", "borderwidth": 0,
        "font": {"size": SMALL, "color": GREY_90},
    },
    "paper_bgcolor": WHITE,
    "plot_bgcolor": WHITE,
    "yaxis": {
        "ticklabelposition": "outside", "zerolinecolor": LINE,
        "title": {"font": {"color": GREY_70, "size": MEDIUM}, "standoff": 25.5},
        "tickcolor": LINE, "tickfont": {"color": GREY_70, "size": SMALL}, "gridcolor": LINE,
        "minor": {"gridcolor": LINE}, "automargin": True,
    },
    "xaxis": {
        "zerolinecolor": LINE, "gridcolor": LINE, "showgrid": False,
        "tickfont": {"color": GREY_70, "size": SMALL}, "tickcolor": LINE,
        "title": {"font": {"color": GREY_70, "size": MEDIUM}, "standoff": 21.25},
        "minor": {"gridcolor": LINE}, "zeroline": False, "automargin": True,
        "rangeselector": {"bgcolor": WHITE, "bordercolor": LINE, "borderwidth": 1, "x": 0},
    },
    "margin": {"pad": 8.5, "r": 0, "l": 0},
    "hoverlabel": {
        "bgcolor": WHITE, "bordercolor": "rgba(17, 17, 17, 0.2)",
        "font": {"color": GREY_70, "family": FAMILY, "size": SMALL},
    },
    "coloraxis": {"colorbar": {
        "thickness": 16, "xpad": 25.5, "ticklabelposition": "outside",
        "outlinecolor": "transparent", "outlinewidth": 8, "len": 0.75, "y": 0.5745,
        "title": {"font": {"color": GREY_70, "size": MEDIUM}},
        "tickfont": {"color": GREY_70, "size": SMALL},
    }},
}  # fmt: skip

# Streamlit's Python template marks colours with placeholders the frontend replaces: chart
# categories, the sequential and diverging scales, and a few greys.
CATEGORICAL = ("#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700",
               "#ffd16a", "#6d3fc0", "#d5dae5")  # fmt: skip
SEQUENTIAL = ("#e4f5ff", "#c7ebff", "#a6dcff", "#83c9ff", "#60b4ff", "#3d9df3", "#1c83e1",
              "#0068c9", "#0054a3", "#004280")  # fmt: skip
DIVERGING = ("#7d353b", "#bd4043", "#ff4b4b", "#ff8c8c", "#ffc7c7", "#a6dcff", "#60b4ff",
             "#1c83e1", "#0054a3", "#004280")  # fmt: skip
PLACEHOLDERS = {
    **{f"#{i + 1:06d}": c for i, c in enumerate(CATEGORICAL)},
    **{f"#{i + 11:06d}": c for i, c in enumerate(SEQUENTIAL)},
    **{f"#{i + 21:06d}": c for i, c in enumerate(DIVERGING)},
    "#000032": "#29b09d", "#000033": "#ff2b2b", "#000034": "#0068c9",  # increasing ...
    "#000036": GREY_70, "#000037": GREY_90, "#000038": WHITE,
    "#000039": "rgba(17, 17, 17, 0.1)", "#000040": "rgba(248, 249, 251, 1)",
}  # fmt: skip
_PLACEHOLDER = re.compile("|".join(sorted(PLACEHOLDERS, reverse=True)))

# Layout parts a template styles for every subplot of their kind (xaxis2, coloraxis3, …).
PER_SUBPLOT = ("xaxis", "yaxis", "coloraxis", "ternary", "polar", "scene", "geo")
REVISION = 1
LIST_MAX = 4096  # numbers per array sent as a JSON list (a 64×64 grid)


def _lists(value):
    """``value`` with its small numeric arrays as lists (nested dicts included); the same
    object when nothing changes."""
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype.kind in "iufb" and value.size <= LIST_MAX else value
    if isinstance(value, dict):
        out = {k: _lists(v) for k, v in value.items()}
        return value if all(out[k] is value[k] for k in value) else out
    return value


def merge(under: dict, over: dict) -> dict:
    """``over`` on top of ``under``, nested dicts merged: a template's defaults under a
    figure's own values. ``None`` in ``over`` leaves ``under``'s value (Plotly reads it as
    unset). Returns new dicts; the inputs are not changed."""
    out = dict(under)
    for key, value in over.items():
        if value is None:
            continue
        below = out.get(key)
        out[key] = merge(below, value) if isinstance(value, dict) and isinstance(below, dict) \
            else value  # fmt: skip
    return out


def _resolved(template) -> dict:
    """The figure's template as the frontend would read it: placeholders replaced, and the
    theme's look merged over its layout (the frontend's merge: the theme wins)."""
    template = template if isinstance(template, dict) else {}
    if template:
        text = _PLACEHOLDER.sub(lambda m: PLACEHOLDERS[m.group(0)], json.dumps(template))
        template = json.loads(text)
    layout = template.get("layout") if isinstance(template.get("layout"), dict) else {}
    return {"layout": merge(layout, LOOK), "data": template.get("data") or {}}


def _uses_coloraxis(data: list) -> bool:
    return any(
        "coloraxis" in t
        or "coloraxis"
        in (t.get("marker") if isinstance(t.get("marker"), dict) else {})  # fmt: skip
        for t in data
    )


MAPS = {"heatmap", "contour", "histogram2d", "histogram2dcontour"}  # ticks outside by default
ORIENTED = {"bar", "box", "violin", "histogram", "funnel", "waterfall"}  # no grid across bars


def _axis_defaults(defaults: dict, own: dict, key: str, data: list) -> dict:
    """The template's axis look, less the colours that would switch a part on. Plotly draws
    an axis's ticks, grid, zero line or minor grid when the figure sets their colour, but not
    when a template does (``Lib.coerce2``): written into the figure, such a colour is kept
    only where that part is on anyway, as the template's colour would show."""
    ref = key[0] + key[5:]  # xaxis2 -> x2: how traces name their axes
    on_axis = [t for t in data if (t.get(key[0] + "axis") or key[0]) == ref]
    outer = any(t.get("type", "scatter") in MAPS for t in on_axis)
    no_grid = any(  # the axis bars stand on: x, or y for horizontal bars
        t.get("type") in ORIENTED and (t.get("orientation") == "h") == (key[0] == "y")
        for t in on_axis
    )
    out = dict(defaults)
    if not (outer or any(own.get(k) for k in ("ticks", "ticklen", "tickwidth"))):
        out.pop("tickcolor", None)
    if no_grid and own.get("showgrid") is None and not own.get("gridwidth"):
        out.pop("gridcolor", None)
    if no_grid and own.get("zeroline") is None and not own.get("zerolinewidth"):
        out.pop("zerolinecolor", None)
    if "minor" not in own:
        out.pop("minor", None)
    return out


def look_of(data: list[dict], layout: dict) -> tuple[list[dict], dict]:
    """``(data, layout)`` with the template and theme written in and no template left (see
    the module's text). New lists and dicts where anything changes; arrays are shared."""
    template = _resolved(layout.get("template"))
    tlayout = template["layout"]
    own = {k: v for k, v in layout.items() if k != "template"}
    if own.get("title") is not None:  # the theme writes titles in bold
        title = dict(own["title"]) if isinstance(own["title"], dict) else {"text": own["title"]}
        text = title.get("text")
        own["title"] = {**title, "text": f"<b>{'' if text is None else text}</b>"}
    out = merge({k: v for k, v in tlayout.items() if k not in PER_SUBPLOT}, own)
    for kind in PER_SUBPLOT:
        if kind not in tlayout:
            continue
        keys = [k for k in own if re.fullmatch(rf"{kind}\d*", k)]
        if kind in ("xaxis", "yaxis") or (kind == "coloraxis" and _uses_coloraxis(data)):
            keys = keys if kind in keys else [kind, *keys]
        for key in keys:
            defaults = tlayout[kind]
            if kind in ("xaxis", "yaxis"):
                defaults = _axis_defaults(defaults, own.get(key) or {}, key, data)
            out[key] = merge(defaults, own.get(key) or {})
    out.setdefault("datarevision", REVISION)
    styles, seen, traces = template["data"], {}, []
    for trace in data:
        kind = trace.get("type", "scatter")
        items = styles.get(kind) if isinstance(styles, dict) else None
        if items:
            n = seen.get(kind, 0)
            seen[kind] = n + 1
            trace = merge(items[n % len(items)], trace)
        traces.append(_lists(trace))
    return traces, out


def with_look(fig: go.Figure) -> go.Figure:
    """A view of ``fig`` (the same class, sharing its arrays; ``fig`` itself is not changed)
    that carries Streamlit's chart look, for ``st.plotly_chart(..., theme=None)``."""
    data, layout = look_of(fig._data, fig._layout)
    view = object.__new__(type(fig))  # not copy.copy: that round-trips the whole figure
    view.__dict__.update(fig.__dict__)
    view._data, view._layout = data, layout
    return view
