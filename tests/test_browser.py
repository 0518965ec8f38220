"""Every page in real Chromium: no exception box, no console error; screenshots kept."""

import re

import pytest

from conftest import PAGES_DIR, start_server, stop_server

pytestmark = pytest.mark.browser

URL_PATHS = sorted("" if p.stem == "home" else p.stem for p in PAGES_DIR.glob("*.py"))


@pytest.mark.parametrize("path", URL_PATHS)
def test_every_page_renders_clean(server, web, path):
    web.goto(f"{server}/{path}")
    main = web.page.locator('[data-testid="stMain"]')
    main.locator("h1").first.wait_for(timeout=30_000)  # every page opens with a title
    web.screenshot(f"page_{path or 'home'}")
    web.assert_clean()


def test_sidebar_navigation_switches_pages(server, web):
    web.goto(server)
    assert "Device" in web.page.locator('[data-testid="stSidebar"]').inner_text()
    web.page.get_by_role("link", name=re.compile("Fashion-MNIST data")).click()
    web.wait_idle()
    web.page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    assert "60,000" in web.page.locator('[data-testid="stMain"]').inner_text()
    web.assert_clean()


def test_deep_link_on_fresh_server_goes_through_router(tmp_path, web):
    """Streamlit's legacy pages/ mode would run pages/pooling.py alone, without app.py."""

    proc, url, log = start_server({"CNNVIZ_HOME": str(tmp_path)}, tmp_path / "server.log")
    try:
        web.goto(f"{url}/pooling")
        sidebar = web.page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Device" in sidebar and "Pooling (7.5)" in sidebar
        assert "padding stride" not in sidebar  # the auto-generated legacy navigation
        web.assert_clean()
    finally:
        stop_server(proc, log)
