"""An offline classroom: loading any page asks nothing of another host (Chromium).

Every request of a full page load (a fresh browser context, so nothing comes from a cache) is
recorded with Playwright's ``page.on("request")``, WebSockets too; all must go to the server
itself (127.0.0.1 or localhost). ``data:`` and ``blob:`` URLs never leave the browser.
"""

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

LOCAL = {"127.0.0.1", "localhost"}


def _page_paths(server, browser) -> list[str]:
    """Every page of the app, read from the sidebar's navigation (new pages are covered)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(server)
    links = page.locator("[data-testid=stSidebarNav] a")
    links.first.wait_for()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    context.close()
    paths = sorted({urlparse(h).path for h in hrefs if h})
    assert len(paths) >= 10, paths  # Home, six lessons, builder, data, training, ablation…
    return paths


def _load(browser, url: str) -> tuple[list[str], str]:
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    watch = PageWatch(page)
    watch.goto(url)
    watch.wait_charts()  # Plotly's code and the charts' fonts load lazily
    page.wait_for_load_state("networkidle")  # and the favicon: nothing more in flight
    icon = page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\")?.href")
    context.close()
    return urls, icon or ""


def test_no_page_load_asks_another_host(server, browser):
    outside = {}
    for path in _page_paths(server, browser):
        urls, icon = _load(browser, server + path)
        assert len(urls) > 10, (path, urls)  # the recording works
        far = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in LOCAL]  # fmt: skip
        if far:
            outside[path] = far
        # The tab icon is served by the app itself (not a :material/ icon from Google's fonts).
        assert urlparse(icon).hostname in LOCAL, (path, icon)
    assert not outside, outside
