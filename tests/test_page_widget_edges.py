"""What a browser user can do to a widget that no page may answer with a traceback: click the
chosen segment of a segmented control again (it unselects), and the like. Each page goes on
with its default and says nothing went wrong."""

from __future__ import annotations

import pytest

from cnnviz.runs import RunStore
from conftest import app_test, assert_clean

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture
def imported(trained_run):
    """The trained run, imported into the pages' store: its id."""
    _, run_id, data = trained_run
    RunStore().import_run(data, "demo.safetensors")
    return run_id


@pytest.mark.parametrize("chosen", ["Test image", "Draw", "Upload"])
def test_unselecting_the_insight_source_keeps_the_test_image(imported, chosen):
    at = app_test("insight.py")
    at.query_params["run"] = imported
    at.run()
    assert_clean(at)
    at.segmented_control(key="insight_source").set_value(chosen).run()
    assert_clean(at)
    at.segmented_control(key="insight_source").set_value(None).run()  # the chosen one clicked
    assert_clean(at)
    assert at.number_input(key="insight_test_index").value == 0  # the test image is shown
