"""Numbers in links: every page × every parameter its address may hold × hostile values. The
page opens without an exception and without "Something went wrong", and a value no widget can
hold leaves the widget at its default (the README: values out of range are ignored)."""

from __future__ import annotations

import pytest

from conftest import app_test, assert_clean
from ui.links import TEXT_PARAMS, int_param, refused

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("one_torch_thread")]

PAGES = [
    "why_conv.py", "cross_correlation.py", "learn_kernel.py", "padding_stride.py",
    "channels.py", "pooling.py", "builder.py", "batch_norm.py", "data.py", "training.py",
    "insight.py", "ablation.py", "classroom.py", "board.py",
]  # fmt: skip
WIDGETS = [
    "number_input", "slider", "select_slider", "selectbox", "radio", "checkbox", "toggle",
    "text_input", "text_area", "multiselect", "segmented_control", "pills", "color_picker",
]  # fmt: skip
# Parameters a page reads itself, not through a widget.
OWN = {"ablation.py": ["group", "mode", "runs", "seed", "seeds"], "training.py": ["run"],
       "insight.py": ["run"], "classroom.py": ["join", "view"],
       "board.py": ["experiment"]}  # fmt: skip
HOSTILE = [
    "inf", "-inf", "Infinity", "nan", "1e999", "-1e999", "9" * 400, "9" * 5_000,
    "-" + "9" * 30, "1e308", "-1", "99999999", "1.5", "²", "0x10", "", "abc",
]  # fmt: skip
FLOAT_ID = "418e043805"  # ten hex digits, as a run id: also a float (418·10^43805)
_bound: dict[str, list[str]] = {}


def bound_keys(page: str) -> list[str]:
    """The widgets of ``page`` (as it first opens) that keep their value in the address:
    bound by Streamlit, or kept there by a stable key (ui.common.keyed_choice)."""
    from ui.i18n import KEYED_CHOICES

    if page not in _bound:
        at = app_test(page).run()
        keys = []
        for kind in WIDGETS:
            for w in at.get(kind):
                if getattr(w.proto, "query_param_key", ""):
                    keys.append(w.proto.query_param_key)
                elif w.key in KEYED_CHOICES:
                    keys.append(w.key)
        _bound[page] = keys
    return _bound[page]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v if len(v) < 12 else f"{len(v)} chars")
@pytest.mark.parametrize("page", PAGES)
def test_every_bound_parameter_with_a_hostile_value(page, value):
    keys = bound_keys(page) + OWN.get(page, []) + ["lang"]
    at = app_test(page)
    for key in keys:
        at.query_params[key] = value
    at.run()
    assert_clean(at)
    for w in [*at.get("number_input"), *at.get("slider")]:  # out of range: the default
        values = w.value if isinstance(w.value, tuple | list) else [w.value]
        for v in values:
            if isinstance(v, int | float) and w.min is not None and w.max is not None:
                assert w.min <= v <= w.max, (w.key, v, w.min, w.max)
    if refused(value):  # no widget may have been seeded with it
        for kind in WIDGETS:
            for w in at.get(kind):
                assert str(getattr(w, "value", "")) != value, (w.key, value)


@pytest.mark.parametrize("value", ["inf", "1e999", "9" * 400, "-1"])
def test_a_lesson_in_a_fragment_ignores_it_and_keeps_its_default(value):
    """The Pooling lesson's settings sit in a fragment (where Streamlit's reader failed)."""
    default = app_test("pooling.py").run()
    at = app_test("pooling.py")
    at.query_params["pool_kernel_size"] = value
    at.run()
    assert_clean(at)
    assert at.slider(key="pool_kernel_size").value == default.slider(key="pool_kernel_size").value


def test_the_training_forms_numbers():
    at = app_test("training.py")
    at.query_params["train_epochs"] = "1e999"
    at.query_params["train_batch"] = "9" * 400
    at.run()
    assert_clean(at)
    assert at.number_input(key="train_epochs").value == 10
    assert at.selectbox(key="train_batch").value == 128
    ok = app_test("training.py")
    ok.query_params["train_epochs"] = "3"
    ok.run()
    assert ok.number_input(key="train_epochs").value == 3  # a good value still opens it set up


@pytest.mark.parametrize(
    ("value", "want"),
    [("inf", True), ("-INF", True), (" nan ", True), ("Infinity", True), ("1e999", True),
     ("9" * 400, True), ("1e16", True), ("-1e16", True), ("x" * 5_000, True),
     ("1e15", False), ("12", False), ("-3", False), ("0.5", False), ("abc", False),
     ("", False), ("²", False), ("max", False)],
)  # fmt: skip
def test_refused(value, want):
    assert refused(value) is want


def test_an_id_that_reads_as_a_number_is_kept_and_too_long_one_is_not():
    for key in TEXT_PARAMS:
        assert refused(FLOAT_ID, key) is False and refused("1e999", key) is False
        assert refused("x" * 5_000, key) is True
    assert refused(FLOAT_ID, "train_epochs") is True


def test_no_widget_is_bound_to_an_id_parameter():
    """Only the page's own code reads these (and checks them): no number widget is seeded."""
    for page in PAGES:
        assert not set(bound_keys(page)) & TEXT_PARAMS, page


@pytest.fixture
def float_id_run(trained_run):
    """The trained run, imported under an id that reads as a float (418·10^43805)."""
    from cnnviz.runs import RunStore

    store = RunStore()
    got, added = store.import_run(trained_run[2], "demo.safetensors", run_id=FLOAT_ID)
    assert (got, added) == (FLOAT_ID, True)
    return store


@pytest.mark.parametrize(("page", "key"), [("training.py", "run"), ("insight.py", "run"),
                                           ("ablation.py", "runs")])  # fmt: skip
def test_a_run_whose_id_reads_as_a_number_opens_by_link(float_id_run, page, key):
    at = app_test(page)
    at.query_params[key] = FLOAT_ID
    at.run()
    assert_clean(at)
    assert at.query_params[key] == [FLOAT_ID] or at.query_params[key] == FLOAT_ID
    shown = "\n".join(m.value for m in (*at.markdown, *at.caption, *at.info, *at.warning))
    assert FLOAT_ID in shown or "class demo" in shown, shown[:2_000]
    if page == "ablation.py":
        assert "Choose an experiment above" not in shown  # the lab's hints: no comparison
        assert "Choose runs above" not in shown


@pytest.mark.parametrize(
    ("value", "want"),
    [(None, None), ("", None), ("²", None), ("١٢", None), ("-1", None), ("1.0", None),
     ("9" * 400, None), ("10001", None), (" 7 ", 7), ("+3", 3), ("0", 0), ("10000", 10_000)],
)  # fmt: skip
def test_int_param(value, want):
    assert int_param(value, 0, 10_000) == want


def test_every_fragment_runs_inside_the_error_boundary():
    """A fragment's own rerun runs outside the page's boundary: every page uses
    ui.common.fragment (the boundary inside), never st.fragment directly."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("ui/**/*.py"), *root.glob("app_pages/*.py"), root / "app.py"]
    direct = [
        f"{f.relative_to(root)}:{n}"
        for f in files
        if f.name != "common.py" or f.parent.name != "ui"
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if "st.fragment" in line and not line.lstrip().startswith("#")
    ]
    assert not direct, direct
