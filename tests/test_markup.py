"""Names shown as markup: a run's name, group, notice and error, a file's name and a link's run
ids reach every visitor of a page. Every sink must show them as typed: never as HTML, a link,
an image, bold text, an icon or math.

The runs here are made directly in the store with hostile names; the Training page
(``?run=<id>``) and the Ablation lab (``?group=store&runs=<ids>``) are rendered in AppTest and
every string they send is searched for the hostile markup. ``tests/test_browser_markup.py``
checks in Chromium that the escaped text renders as plain text.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from cnnviz.features import first_stage_state
from cnnviz.models import PRESETS
from cnnviz.plots.base import plain
from cnnviz.runs import RunStore
from cnnviz.train import RunConfig, build_net
from conftest import app_test, assert_clean
from ui.common import md_escape

pytestmark = pytest.mark.apptest

NAME = "<img src=x onerror=alert(1)> [link](https://evil.example/) **b** :material/home: $x$"
NAME_2 = (
    "![pic](https://evil.example/p.png) <a href='https://evil.example/a'>a</a> www.evil.example"
)
GROUP = "<b>grp</b> [g](https://evil.example/g) :red[red]"
ERROR = "boom <img src=y onerror=alert(2)> [e](https://evil.example/e)"
NOTICE = "Imported from <script>alert(3)</script>.safetensors"
LINK_ID = "<img src=z onerror=alert(4)>"
# What would become markup if any of the strings above reached a sink unescaped.
FRAGMENTS = ("<img", "<a href", "<b>grp", "<script", "[link](", "![pic](", "[g](", "[e](",
             "**b**", ":material/home:", ":red[", "$x$", "www.evil")  # fmt: skip
HTML_FRAGMENTS = FRAGMENTS[:4]  # what Plotly would read in a figure's text (it has no Markdown)
EPOCH = {"train_loss": 2.3, "train_acc": 0.1, "val_loss": 2.3, "val_acc": 0.1,
         "examples_per_s": 1000.0, "seconds": 1.0}  # fmt: skip


@pytest.fixture
def hostile_runs() -> list[str]:
    """A failed run and two finished ones (one sharing the first's name) in one group."""
    store = RunStore()
    config = RunConfig(PRESETS["LeNet"], num_epochs=2, limit=256, val_limit=128)
    first_layer = first_stage_state(build_net(config))  # kernels to draw, titled by name
    ids = []
    for name, status in ((NAME, "failed"), (NAME_2, "finished"), (NAME, "finished")):
        run_id = store.create(config, name=name, group=GROUP, preset="LeNet", status="running")
        store.save_snapshot(run_id, 0, first_layer)
        for epoch in (1, 2):
            store.save_snapshot(run_id, epoch, first_layer)
            store.add_epoch(run_id, {"epoch": epoch, **EPOCH})
        store.set_status(run_id, status, error=ERROR if status == "failed" else None)
        store.set_notice(run_id, NOTICE)
        ids.append(run_id)
    return ids


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def shown(at) -> list[str]:
    """Every string the page renders as Markdown.

    Selectbox and multiselect options and dataframe cells are plain text in Streamlit (not
    Markdown), so a name shows there as it is and is not searched.
    """
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader",
                 "title", "header", "toast", "exception"):  # fmt: skip
        out += [e.value for e in at.get(kind)]
    for m in at.metric:
        out += [m.label, m.value, m.proto.help]
    for kind in ("button", "selectbox", "multiselect", "radio", "select_slider", "slider",
                 "number_input", "text_input", "toggle", "checkbox", "expander",
                 "segmented_control", "download_button", "file_uploader"):  # fmt: skip
        for w in at.get(kind):
            proto = w.proto
            out += [getattr(proto, "label", ""), getattr(proto, "help", "")]
            if kind in ("radio", "select_slider", "segmented_control"):
                for option in getattr(proto, "options", []):
                    out.append(option if isinstance(option, str) else option.content)
    for p in at.get("progress"):
        out.append(p.proto.text)
    return [s for s in out if isinstance(s, str) and s]


def figure_text(at) -> list[str]:
    """Every string of every Plotly figure (names, titles, hover templates)."""
    return [s for c in at.get("plotly_chart") for s in _strings(json.loads(c.proto.spec))]


def assert_no_markup(strings: list[str], fragments=FRAGMENTS) -> None:
    leaks = [(f, s) for s in strings for f in fragments if f in s]
    assert not leaks, leaks[:3]


def test_training_page_shows_a_hostile_run_as_text(hostile_runs):
    failed = hostile_runs[0]
    at = app_test("training.py")
    at.query_params["run"] = failed
    at.run()
    assert_clean(at)
    assert_no_markup(shown(at))
    assert_no_markup(figure_text(at), HTML_FRAGMENTS)
    assert any(md_escape(NAME) in s for s in (m.value for m in at.markdown))  # the run's title
    assert any(md_escape(ERROR) == e.value for e in at.error)
    assert any(md_escape(NOTICE) == i.value for i in at.info)
    assert NAME in " ".join(at.selectbox(key=f"train_show_{failed}").options)  # plain text there


def test_ablation_lab_shows_hostile_runs_and_link_ids_as_text(hostile_runs):
    at = app_test("ablation.py")
    at.query_params["group"] = "store"
    at.query_params["runs"] = ",".join([*hostile_runs, LINK_ID])
    at.run()
    assert_clean(at)
    assert_no_markup(shown(at))
    figures = figure_text(at)
    assert_no_markup(figures, HTML_FRAGMENTS)
    status_lines = " ".join(m.value for m in at.markdown)
    assert md_escape(NAME) in status_lines and md_escape(NAME_2) in status_lines
    assert md_escape(GROUP) in [s.value for s in at.subheader]
    assert any(md_escape(LINK_ID) in w.value for w in at.warning)  # not in the store
    assert any(md_escape(ERROR) in e.value for e in at.error)  # the failed variant's error
    assert plain(NAME) in figures and plain(NAME_2) in figures  # legends: Plotly's entities
    assert f"<b>{plain(NAME_2)}</b>" in figures  # what each variant learned, titled by name


class _Upload(SimpleNamespace):
    def getvalue(self) -> bytes:
        return self.data


def test_import_messages_show_file_and_run_names_as_text(trained_run):
    """The Training page's import result (kept in the session, shown with st.success or
    st.error) for a file named with markup, and for a run file whose run is."""
    from safetensors.torch import load, save

    from cnnviz.runfile import RUN_KEY, read_metadata
    from cnnviz.runs import get_manager
    from ui.training import _import

    mgr = get_manager()
    text, run_id = _import(mgr, _Upload(name=f"{LINK_ID}.safetensors", data=b"junk"))
    assert run_id is None and md_escape(LINK_ID) in text
    assert_no_markup([text])
    _, _, data = trained_run
    meta = read_metadata(data)
    d = json.loads(meta[RUN_KEY])
    d["name"] = NAME
    renamed = save(load(data), metadata={**meta, RUN_KEY: json.dumps(d)})
    for _ in range(2):  # imported, then already in the store
        text, run_id = _import(mgr, _Upload(name="run.safetensors", data=renamed))
        assert run_id == d["run_id"] and md_escape(NAME) in text
        assert_no_markup([text])
