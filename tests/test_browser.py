"""Every page in real Chromium: no exception box, no console error; screenshots kept."""

import re

import pytest

from conftest import PAGES_DIR

pytestmark = pytest.mark.browser

URL_PATHS = sorted("" if p.stem == "home" else p.stem for p in PAGES_DIR.glob("*.py"))


@pytest.mark.parametrize("path", URL_PATHS)
def test_every_page_renders_clean(server, web, path):
    web.goto(f"{server}/{path}")
    main = web.page.locator('[data-testid="stMain"]')
    assert main.locator("h1").count() >= 1
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
