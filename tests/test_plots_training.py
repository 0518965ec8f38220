"""The training curves, redrawn every second while a run is watched, are built without
Plotly's validation: they validate, send what a validated figure would, and show every series
on the right chart."""

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from cnnviz.plots.training import training_curves

pytestmark = pytest.mark.unit

METRICS = pd.DataFrame({
    "epoch": [1, 2, 3], "train_loss": [2.3, 1.1, 0.7], "train_acc": [0.1, 0.6, 0.75],
    "val_loss": [2.2, 1.0, 0.8], "val_acc": [0.12, 0.62, 0.71],
})  # fmt: skip


def _sent(fig) -> dict:
    return json.loads(pio.to_json(fig.to_dict(), validate=False))


@pytest.mark.parametrize("font_size", [None, 20])
@pytest.mark.parametrize("history", [None, [(0.5, 2.31), (1.0, 2.3), (1.5, 1.6)]])
def test_curves_validate_and_send_what_validation_would(font_size, history):
    fig = training_curves(METRICS, 10, history, font_size=font_size)
    fast, slow = _sent(fig), _sent(go.Figure(fig.to_dict()))  # raises if anything is invalid
    assert fast["data"] == slow["data"]
    fast["layout"].pop("template", None)
    slow["layout"].pop("template", None)
    assert fast["layout"] == slow["layout"]


def test_series_land_on_their_charts_and_the_axis_holds_the_whole_run():
    fig = training_curves(METRICS, 10, [(0.5, 2.31)])
    axes = {t["name"]: (t["xaxis"], t["yaxis"]) for t in _sent(fig)["data"]}
    assert axes["train loss (running)"] == axes["train loss"] == axes["val loss"] == ("x", "y")
    assert axes["train acc"] == axes["val acc"] == ("x2", "y2")
    layout = _sent(fig)["layout"]
    assert layout["xaxis"]["range"] == [0, 10.2] and layout["yaxis2"]["range"] == [0, 1.02]
    assert [a["text"] for a in layout["annotations"]] == ["loss", "accuracy"]
    empty = training_curves(METRICS.iloc[:0], 5)
    assert all(t["x"] == [] for t in _sent(empty)["data"])
    assert _sent(empty)["layout"]["xaxis"]["range"] == [0, 5.2]
