"""Every page in real Chromium: no exception box, no console error; screenshots kept."""

import re

import pytest

from conftest import PAGES_DIR, REPO, start_server, stop_server

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


def _page_titles() -> dict[str, str]:
    """URL path → the title app.py gives the page (English), read from app.py's st.Page calls."""
    from ui.locales.en.nav import TEXT as NAV

    source = (REPO / "app.py").read_text()
    pairs = re.findall(r'st\.Page\(\s*"app_pages/(\w+)\.py",\s*title=NAV\["(\w+)"\]', source)
    assert len(pairs) == len(URL_PATHS), pairs  # every page file is in the router
    return {("" if stem == "home" else stem): NAV[key] for stem, key in pairs}


@pytest.mark.parametrize("path", URL_PATHS)
def test_deep_link_on_a_fresh_server(tmp_path, web, path):
    """The first request a server sees is a deep link: app.py's router serves it, with the
    shared sidebar and the page's own title (a folder named pages/ would make Streamlit run
    the page file alone)."""
    title = _page_titles()[path]
    proc, url, log = start_server({"CNNVIZ_HOME": str(tmp_path)}, tmp_path / "server.log")
    try:
        web.goto(f"{url}/{path}")
        sidebar = web.page.locator('[data-testid="stSidebar"]')
        assert "Device" in sidebar.inner_text()  # the shared sidebar: app.py ran
        current = sidebar.locator("[data-testid=stSidebarNav] a[aria-current=page]")
        assert current.inner_text().strip().endswith(title)  # after the icon's ligature
        web.page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=30_000)
        web.assert_clean()
    finally:
        stop_server(proc, log)
