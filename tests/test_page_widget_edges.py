"""What a browser user can do to a widget that no page may answer with a traceback: click the
chosen segment of a segmented control again (it unselects), and the like. Each page goes on
with its default and says nothing went wrong."""

from __future__ import annotations

import pytest

from cnnviz.models import PRESETS
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


@pytest.mark.parametrize("cell", [float("inf"), float("-inf"), 1e300, 2.5])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_table_cell_no_whole_number_is_said_in_the_builder(cell, lang):
    """A layer table's cell holding an infinity, a number too large for any layer or a
    fraction: the builder says which cell must be a whole number."""
    at = app_test("builder.py")
    if lang == "ko":
        at.query_params["lang"] = "ko"
    at.run()
    at.radio(key="builder_family").set_value("vgg").run()
    assert_clean(at)
    good = [list(row) for row in PRESETS[at.selectbox(key="builder_preset").value].arch]
    at.session_state["builder_arch_rows"] = [[cell, good[0][1]], *good[1:]]
    at.session_state["builder_form_version"] += 1
    at.run()
    assert_clean(at)
    (error,) = at.error
    assert "num_convs" in error.value
    assert ("must be a whole number" if lang == "en" else "정수") in error.value
    at.session_state["builder_arch_rows"] = good  # the table mended: the network is drawn
    at.session_state["builder_form_version"] += 1
    at.run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]


def _evaluation_shown(at, timeout: float = 90) -> str:
    """Rerun until the background evaluation ended: "matrix" when its confusion matrix is
    drawn, "failed" when the page says it failed."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert_clean(at)
        if any(c.proto.id and c.proto.id.endswith("insight_cm_0") for c in at.get("plotly_chart")):
            return "matrix"
        if any("failed" in e.value or "실패" in e.value for e in at.error):
            return "failed"
        time.sleep(0.2)
    raise AssertionError("the evaluation never ended")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_failed_evaluation_can_be_tried_again_by_every_session(imported, monkeypatch, lang):
    """An evaluation that failed in the background (out of memory while another session
    trained) is kept in the server's shared list of evaluations: it must not stay failed for
    everyone until the server restarts. Each session sees the failure and may try again."""
    from classpages import write_past_checks

    from cnnviz import insight

    store = RunStore()
    write_past_checks(store, "DELETE FROM analysis")  # the page evaluates it in the background
    real = insight.evaluate
    monkeypatch.setattr(insight, "evaluate", lambda *a, **k: (_ for _ in ()).throw(MemoryError()))

    def session():
        at = app_test("insight.py")
        at.query_params["run"] = imported
        at.query_params["lang"] = lang
        return at

    first = session()
    assert _evaluation_shown(first) == "failed"
    monkeypatch.setattr(insight, "evaluate", real)  # the memory is back
    second = session()  # another student, later
    assert _evaluation_shown(second) == "failed"  # said, with a way to try again
    (again,) = [b for b in second.button if b.key == f"insight_eval_again_{imported}"]
    again.click()
    assert _evaluation_shown(second) == "matrix"
    assert _evaluation_shown(first) == "matrix"  # the first session's page follows


def _png_url(side: int = 280) -> str:
    """A canvas picture as the browser sends it: a white stroke on black, as a data URL."""
    import base64
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    ImageDraw.Draw(img).line((40, 40, 240, 240), fill=(255, 255, 255, 255), width=20)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


FORGED_CANVAS = [
    {"drawing": "x"}, {"drawing": {"raw": {}, "data": "garbage"}},
    {"drawing": {"raw": {}, "data": 5}}, {"drawing": {"raw": {}, "data": ["a"]}},
    {"drawing": {"raw": {}, "data": "data:image/png;base64,@@@"}},
]  # fmt: skip


@pytest.mark.parametrize("forged", FORGED_CANVAS, ids=range(len(FORGED_CANVAS)))
def test_a_forged_canvas_value_keeps_the_drawing(forged):
    """A canvas value no browser's canvas sends (a crafted message): the lesson goes on with
    the drawing it had."""
    at = app_test("cross_correlation.py")
    at.query_params["xcorr_source"] = "draw"
    at.session_state["xcorr_canvas"] = {"drawing": {"raw": {}, "data": _png_url()}}
    at.run()
    assert_clean(at)
    drawn = at.session_state["xcorr_drawn"]
    assert float(drawn.max()) > 0
    at.session_state["xcorr_canvas"] = forged
    at.run()
    assert_clean(at)
    assert at.session_state["xcorr_drawn"].equal(drawn)  # the drawing is kept


@pytest.mark.parametrize("forged", FORGED_CANVAS[:3], ids=range(3))
def test_a_forged_canvas_value_on_the_insight_page(imported, forged):
    at = app_test("insight.py")
    at.query_params["run"] = imported
    at.run()
    at.segmented_control(key="insight_source").set_value("Draw").run()
    at.session_state["insight_canvas"] = forged
    at.run()
    assert_clean(at)
    assert any("Draw" in i.value for i in at.info)  # the hint to draw: nothing drawn yet


CLICKS = [
    [{"x": float("nan"), "y": 1}], [{"x": "a", "y": 1}], [{}], ["x"], "x", None,
    [{"x": 1e300, "y": 1e300}], [{"x": -5, "y": -3}], [{"x": float("inf"), "y": 0}], [],
]  # fmt: skip


@pytest.mark.parametrize("points", CLICKS, ids=range(len(CLICKS)))
def test_a_click_on_no_cell_names_none(points):
    from cnnviz.plots.conv import clicked_cell

    assert clicked_cell({"selection": {"points": points}}, (6, 7)) is None
    assert clicked_cell({"selection": {"points": [{"x": 6.2, "y": 0.9}]}}, (6, 7)) == (1, 6)


@pytest.mark.parametrize("points", CLICKS[:6], ids=range(6))
def test_a_forged_click_on_the_output_chart_leaves_the_cell(points):
    """The output chart's selection as a crafted message may send it (AppTest cannot click a
    chart: the event goes in with the page's widget states, as the browser sends it)."""
    import json

    at = app_test("cross_correlation.py").run()
    at.number_input(key="xcorr_row").set_value(2).run()
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("xcorr_out_chart")]
    sent = at._tree.get_widget_states

    def with_event():
        states = sent()
        event = states.widgets.add()
        event.id = chart.proto.id
        event.string_value = json.dumps({"selection": {"points": points}})
        return states

    at._tree.get_widget_states = with_event
    at.run()
    assert_clean(at)
    assert at.number_input(key="xcorr_row").value == 2  # the cell explained before


def _gif() -> bytes:
    import io

    from PIL import Image

    frames = [Image.new("P", (20, 20), i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


NOT_PICTURES = [
    ("anim.gif", _gif, "image/gif", "GIF"),
    ("drawing.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml",
     "PNG or JPEG"),
    ("notes.txt", lambda: b"not a picture\n", "text/plain", "PNG or JPEG"),
    ("photo.heic", lambda: b"\x00\x00\x00\x18ftypheic", "image/heic", "PNG or JPEG"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "mime", "said"), NOT_PICTURES, ids=lambda v: str(v)[:9])
def test_a_file_of_another_kind_in_a_picture_uploader_is_said(name, data, mime, said):
    """Streamlit refuses a file whose name has another extension than the uploader's types
    with an exception before the page runs (the page stops, a traceback): the uploaders leave
    the kind to cnnviz's check of the content, which says what the file is."""
    at = app_test("cross_correlation.py")
    at.query_params["xcorr_source"] = "upload"
    at.run()
    at.file_uploader(key="xcorr_upload").upload(name, data(), mime).run()
    assert_clean(at)
    (error,) = at.error
    assert name.split(".")[0] in error.value and said in error.value
    assert at.title  # the page is drawn


def test_a_file_of_another_kind_in_the_insight_uploader_is_said(imported):
    at = app_test("insight.py")
    at.query_params["run"] = imported
    at.run()
    at.segmented_control(key="insight_source").set_value("Upload").run()
    at.file_uploader(key="insight_upload").upload("anim.gif", _gif(), "image/gif").run()
    assert_clean(at)
    assert any("GIF" in e.value for e in at.error)


@pytest.mark.parametrize("name", ["weights.png", "run.bin", "run.safetensors.zip", "run"])
def test_a_file_of_another_kind_in_the_import_box_is_said(name, trained_run):
    at = app_test("training.py").run()
    data = trained_run[2] if name != "weights.png" else b"\x89PNG\r\n\x1a\n"
    at.file_uploader(key="train_import").upload(name, data).run()
    assert_clean(at)
    said = [e.value for e in at.error] + [s.value for s in at.success]
    assert said, "the import box says nothing"
    if name == "weights.png":
        assert "not a safetensors file" in said[0]


class _FullDisk:
    """The store's database connection on a full disk: reads work, every write is refused as
    SQLite refuses it."""

    def __init__(self, db):
        self._real = db

    def __getattr__(self, name):
        return getattr(self._real, name)

    def execute(self, sql, *args):
        import sqlite3

        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *args)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_start_on_a_full_disk_says_so_and_keeps_the_form(monkeypatch, lang):
    """The disk under the run store fills (another program's files): Start says the store could
    not be written, in the page's language, with the form as it was; once there is space, the
    same press starts the run."""
    from cnnviz.runs import get_manager

    at = app_test("training.py")
    at.query_params["lang"] = lang
    at.run()
    at.number_input(key="train_epochs").set_value(1).run()
    store = get_manager().store
    monkeypatch.setattr(store, "_db", _FullDisk(store._db))
    at.button(key="train_start").click().run()
    assert_clean(at)
    (error,) = at.error
    assert "database or disk is full" in error.value
    assert ("disk space" if lang == "en" else "디스크 공간") in error.value
    assert at.number_input(key="train_epochs").value == 1  # the form is kept
    assert not store.list_runs()
    monkeypatch.setattr(store, "_db", store._db._real)  # space again
    at.button(key="train_start").click().run()
    assert_clean(at)
    assert len(store.list_runs()) == 1
    get_manager().stop(store.list_runs()[0].run_id)


def test_stop_and_delete_on_a_full_disk_say_so(monkeypatch):
    from cnnviz.runs import get_manager

    at = app_test("training.py")
    at.query_params["train_epochs"] = "200"
    at.query_params["train_subset"] = "1000"
    at.run()
    at.button(key="train_start").click().run()
    assert_clean(at)
    mgr = get_manager()
    (run,) = mgr.store.list_runs()
    monkeypatch.setattr(mgr.store, "_db", _FullDisk(mgr.store._db))
    at.button(key="train_stop").click().run()
    assert_clean(at)
    assert any("database or disk is full" in e.value for e in at.error)
    monkeypatch.setattr(mgr.store, "_db", mgr.store._db._real)
    at.button(key="train_stop").click().run()
    assert_clean(at)
    # stopped, or interrupted when its own epoch write met the full disk first
    assert mgr.wait(run.run_id, 60) in ("stopped", "interrupted")
    at.run()
    monkeypatch.setattr(mgr.store, "_db", _FullDisk(mgr.store._db))
    at.button(key="train_delete").click().run()
    assert_clean(at)
    assert any("database or disk is full" in e.value for e in at.error)
    assert mgr.store.exists(run.run_id)  # nothing lost
