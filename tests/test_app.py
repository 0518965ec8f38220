"""AppTest runs of the foundation pages, and the router's page list."""

import ast

import pytest

from conftest import PAGES_DIR, REPO, app_test, assert_clean

pytestmark = pytest.mark.apptest


def test_router_lists_every_page_file():
    tree = ast.parse((REPO / "app.py").read_text())
    listed = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"
    }
    files = {f"app_pages/{p.name}" for p in PAGES_DIR.glob("*.py")}
    assert listed == files


def test_home_page_names_every_lesson():
    at = app_test("home.py").run()
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    for title in ["Cross-correlation (7.2)", "Pooling (7.5)", "Architecture builder", "Ablation"]:
        assert title in text
    assert not at.warning  # the data is installed


def test_data_page_shows_every_class():
    at = app_test("data.py").run()
    assert_clean(at)
    assert at.metric[0].value == "60,000" and at.metric[1].value == "10,000"
    at.slider(key="data_per_class").set_value(5).run()
    assert_clean(at)


def test_without_data_pages_show_how_to(no_data):
    for page in ("home.py", "data.py"):
        at = app_test(page).run()
        assert_clean(at)
        warnings = " ".join(w.value for w in at.warning)
        assert "apt-get install dataset-fashion-mnist" in warnings, page


def test_router_runs_with_sidebar():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert_clean(at)
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Device" in captions and "Fashion-MNIST" in captions
