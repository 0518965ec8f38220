"""Streamlit's chart look written into a figure (``cnnviz.plots.look``)."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import streamlit  # noqa: F401 - registers Streamlit's Plotly template as the default
from plotly.subplots import make_subplots

from cnnviz.plots import look
from cnnviz.plots.base import base_layout, heatmap

pytestmark = pytest.mark.unit


def _sent(fig) -> dict:
    """What st.plotly_chart sends: the figure's JSON."""
    return json.loads(pio.to_json(fig, validate=False))


def test_merge_keeps_the_figures_own_values_over_the_defaults():
    under = {"font": {"size": 12, "color": "grey"}, "margin": {"l": 0}, "x": 1}
    over = {"font": {"size": 16}, "margin": None, "y": 2}
    assert look.merge(under, over) == {
        "font": {"size": 16, "color": "grey"}, "margin": {"l": 0}, "x": 1, "y": 2,
    }  # fmt: skip
    assert under == {"font": {"size": 12, "color": "grey"}, "margin": {"l": 0}, "x": 1}


def test_a_figure_carries_the_theme_and_no_template():
    fig = heatmap(np.arange(12.0).reshape(3, 4), title="Output")
    before = _sent(fig)
    sent = _sent(look.with_look(fig))
    layout = sent["layout"]
    assert "template" not in layout
    assert layout["datarevision"] == look.REVISION
    assert layout["title"]["text"] == "<b>Output</b>"  # bold, as the theme writes titles
    assert layout["title"]["font"] == look.LOOK["title"]["font"]
    assert layout["font"] == {**look.LOOK["font"], **before["layout"]["font"]}  # own size
    assert layout["margin"] == {**look.LOOK["margin"], **before["layout"]["margin"]}
    assert layout["xaxis"]["tickfont"] == look.LOOK["xaxis"]["tickfont"]
    assert layout["yaxis"]["autorange"] == "reversed"  # the figure's own axis settings kept
    assert _sent(fig) == before  # the figure itself is unchanged


def test_the_python_templates_placeholders_become_the_themes_colours():
    fig = base_layout(go.Figure([go.Scatter(y=[1, 2]), go.Heatmap(z=[[1, 2]])]), "Curves")
    assert "#000001" in pio.to_json(fig, validate=False)  # Streamlit's template, placeholders
    sent = _sent(look.with_look(fig))
    text = json.dumps(sent)
    assert not [p for p in look.PLACEHOLDERS if p in text]
    assert sent["layout"]["colorway"] == list(look.CATEGORICAL)
    scatter, grid = sent["data"]
    assert scatter["marker"]["line"]["width"] == 0  # the template's trace defaults, written in
    assert [c for _, c in grid["colorscale"]] == list(look.SEQUENTIAL)


def test_every_subplots_axes_get_the_look():
    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Scatter(x=[1], y=[2]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[1], y=[2]), row=1, col=2)
    fig.update_xaxes(title="x")
    layout = _sent(look.with_look(fig))["layout"]
    for axis in ("xaxis", "xaxis2", "yaxis", "yaxis2"):
        assert layout[axis]["gridcolor"] == look.LINE, axis
    assert layout["xaxis2"]["title"]["text"] == "x"
    assert layout["xaxis2"]["title"]["font"] == look.LOOK["xaxis"]["title"]["font"]


def test_small_arrays_go_as_lists_large_ones_as_base64():
    small, large = np.ones((8, 8)), np.ones((look.LIST_MAX + 1, 1))
    fig = go.Figure([go.Heatmap(z=small), go.Heatmap(z=large)], layout={"template": {}})
    sent_small, sent_large = _sent(look.with_look(fig))["data"]
    assert sent_small["z"] == small.tolist()  # a list: Plotly sees the same data as unchanged
    assert "bdata" in sent_large["z"]
    assert "bdata" in _sent(fig)["data"][0]["z"]  # the figure itself still sends base64


def test_a_figure_without_a_title_gets_none():
    layout = _sent(look.with_look(go.Figure(layout={"template": {}})))["layout"]
    assert "text" not in layout.get("title", {})


def test_colours_that_would_switch_a_part_on_are_kept_only_where_it_is_on():
    """Plotly draws ticks, a grid or a minor grid when a figure sets their colour (not when a
    template does): written in, those colours stay only where the part shows anyway."""
    fig = make_subplots(rows=1, cols=3)
    fig.add_trace(go.Scatter(y=[1, 2]), row=1, col=1)
    fig.add_trace(go.Heatmap(z=[[1, 2]]), row=1, col=2)
    fig.add_trace(go.Bar(x=["a", "b"], y=[1, 2]), row=1, col=3)
    fig.update_xaxes(ticks="inside", row=1, col=3)
    layout = _sent(look.with_look(fig))["layout"]
    assert "tickcolor" not in layout["xaxis"] and "tickcolor" not in layout["yaxis"]
    assert layout["xaxis2"]["tickcolor"] == look.LINE  # a map's ticks are outside by default
    assert layout["xaxis3"]["tickcolor"] == look.LINE  # the figure's own ticks
    assert "gridcolor" not in layout["xaxis3"]  # no grid across bars by default
    assert layout["yaxis3"]["gridcolor"] == look.LINE
    assert all("minor" not in layout[k] for k in layout if k[1:5] == "axis")
