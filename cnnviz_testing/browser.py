"""Debian's Chromium through Playwright, and waiting on what a Streamlit page shows."""

from __future__ import annotations

from pathlib import Path

from cnnviz_testing import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
WENT_WRONG = ("Something went wrong", "문제가 생겼습니다")  # the error boundary, both languages
SETTLE_MS = 400  # idle this long in a row: the run's own st.rerun would have started by then

# What the user asked of the server and when a run last ended: installed in the page by each
# wait (and again after a navigation), it notes the time of every message the page sends that
# is larger than a heartbeat within INPUT_MS of an input (a click, a key, a changed field: a
# widget's rerun request; a fragment's own timer sends them too, unasked) and of each end of
# a script run. Until a run has ended after the first such request since the last end (the
# server may fold a later one into the run it has started), the page is not idle,
# however long the server takes to start that run; a request no run follows (none is known)
# stops counting after REQUEST_WAIT_MS.
WATCH_JS = """(inputMs) => {
  if (window.__cnnvizWatch) return;
  const w = window.__cnnvizWatch = {sent: -1, ended: -1, last: null, input: -1e9};
  for (const type of ['pointerdown', 'pointerup', 'click', 'keydown', 'keyup', 'input',
                      'change']) {
    window.addEventListener(type, () => { w.input = performance.now(); }, true);
  }
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const now = performance.now();
    const asked = (data && (data.byteLength ?? data.length)) > 24 && now - w.input < inputMs;
    if (asked && w.sent <= w.ended) w.sent = now;  // the first request no run has answered
    return send.call(this, data);
  };
  // a run has ended when the state reads notRunning after reading anything else, also when
  // both changes came in one task (its records still hold the value it had between)
  w.note = (records) => {
    const app = document.querySelector('[data-testid=stApp]');
    const state = app === null ? null : app.getAttribute('data-test-script-state');
    const passed = (records || []).some(r => r.oldValue !== null && r.oldValue !== 'notRunning');
    if (state === 'notRunning' && (w.last !== 'notRunning' || passed)) w.ended = performance.now();
    w.last = state;
  };
  new MutationObserver(w.note).observe(document, {attributes: true, subtree: true,
    attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  w.note();
}"""
REQUEST_WAIT_MS = 8_000
INPUT_MS = 1_000

# Streamlit has run the script (the app's state reads notRunning), drawn the main area, and
# has no rerun request of the page pending (WATCH_JS); it counts once it has held for
# SETTLE_MS, measured on the page's clock, so the moment between a run and the rerun it asks
# for is not taken for the end.
IDLE_JS = """([settle, wait]) => {
  const w = window.__cnnvizWatch;
  if (w) w.note();
  const now = performance.now();
  const pending = w !== undefined && w.sent > w.ended && now - w.sent < wait;
  const idle = !pending
    && document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]')
    !== null && document.querySelector('[data-testid=stMain] [data-testid=stElementContainer]')
    !== null;
  if (!idle) { window.__cnnvizIdleSince = null; return false; }
  if (window.__cnnvizIdleSince == null) window.__cnnvizIdleSince = now;
  return now - window.__cnnvizIdleSince >= settle;
}"""


# Every Plotly chart of the page is drawn (its graph div has a layout and an SVG), and the
# charts' count and sizes have held for SETTLE_MS (Streamlit re-plots a chart once it knows its
# width).
CHARTS_JS = """(settle) => {
  const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart]')];
  const drawn = charts.every(c => {
    const g = c.querySelector('.js-plotly-plot');
    return g && g._fullLayout && g.querySelector('.main-svg');
  });
  const sig = charts.map(c => {
    const r = c.getBoundingClientRect();
    return `${Math.round(r.width)}x${Math.round(r.height)}`;
  }).join(',');
  const now = performance.now();
  if (!drawn || sig !== window.__cnnvizCharts) {
    window.__cnnvizCharts = sig;
    window.__cnnvizChartsSince = now;
    return false;
  }
  return now - window.__cnnvizChartsSince >= settle;
}"""


def launch_chromium(playwright):
    """Debian's Chromium (Playwright's own browser builds are not installed)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed: run `make setup` (it installs it).")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit has run the script (also the rerun the last input asked for, however
    late the server starts it), drawn the page and stayed idle for SETTLE_MS."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.evaluate("() => { window.__cnnvizIdleSince = null; }")
    page.evaluate(WATCH_JS, INPUT_MS)  # a page just loaded: from now on its requests are seen
    page.wait_for_function(
        IDLE_JS, arg=[SETTLE_MS, REQUEST_WAIT_MS], timeout=timeout_ms, polling=50
    )


def wait_charts(page, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit is idle and every Plotly chart on the page is drawn at its size."""
    wait_idle(page, timeout_ms)
    page.evaluate("() => { window.__cnnvizCharts = null; }")
    page.wait_for_function(CHARTS_JS, arg=SETTLE_MS, timeout=timeout_ms, polling=50)


def next_frame(page) -> None:
    """Wait until the browser has drawn two more frames (a layout change has been painted)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


class PageWatch:
    """A Playwright page plus the console errors and failed responses it logged."""

    def __init__(self, page):
        self.page = page
        # every document it loads notes its rerun requests from its start (wait_idle's)
        page.add_init_script(f"({WATCH_JS})({INPUT_MS})")
        self.console_errors: list[str] = []
        self.bad_responses: list[str] = []
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))

    def _on_console(self, msg):
        # A failed request is logged as "Failed to load resource"; _on_response judges it.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.console_errors.append(msg.text)

    def _on_response(self, response):
        # Opened at /<page>, Streamlit's frontend first probes /<page>/_stcore/… for a base
        # path and falls back to /_stcore/… on a 404: those probes are expected.
        benign = response.url.endswith(("/_stcore/health", "/_stcore/host-config"))
        if response.status >= 400 and not benign:
            self.bad_responses.append(f"{response.status} {response.url}")

    def pick(self, key: str, option, tries: int = 5) -> None:
        """Choose ``option`` (its text, or a part of it) in the selectbox with widget ``key``.
        A rerun arriving just then (a live run's refresh) can close the list that was opened,
        or take the click: open it again until the box shows the choice."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        box = self.page.locator(f".st-key-{key} [data-testid=stSelectbox]")
        shown = ""
        choice = self.page.get_by_role("option").filter(has_text=option)
        for _ in range(tries):
            box.click()
            try:
                choice.first.wait_for(timeout=5_000)
                choice.first.click(timeout=5_000)
            except PlaywrightTimeout:  # closed by a rerun: wait, then open it again
                self.wait_idle()
                continue
            self.wait_idle()
            if not isinstance(option, str) or box.count() == 0:  # gone: the choice moved the page
                return
            shown = box.get_by_role("combobox").input_value()
            if option.lower() in shown.lower():
                return
        raise AssertionError(f"{key}: {option!r} could not be chosen (it shows {shown!r})")

    def wait_idle(self, timeout: float = 60_000) -> None:
        wait_idle(self.page, timeout)

    def wait_charts(self, timeout: float = 60_000) -> None:
        wait_charts(self.page, timeout)

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.wait_idle()

    def assert_clean(self) -> None:
        exc = self.page.locator('[data-testid="stException"]')
        assert exc.count() == 0, exc.first.inner_text()
        for words in WENT_WRONG:
            boundary = self.page.get_by_text(words)
            assert boundary.count() == 0, boundary.first.inner_text()
        assert not self.console_errors, self.console_errors
        assert not self.bad_responses, self.bad_responses

    def screenshot(self, name: str) -> Path:
        out = REPO / "screenshots"
        out.mkdir(exist_ok=True)
        path = out / f"{name}.png"
        # Streamlit scrolls inside its own container, so full_page alone shows one viewport:
        # grow the viewport to the content's height for the shot, then restore it.
        size = self.page.viewport_size
        height = self.page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
            "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 0)"
        )
        if size and height > size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": min(height + 80, 8000)})
            wait_charts(self.page)
        self.page.screenshot(path=str(path), full_page=True)
        if size:
            self.page.set_viewport_size(size)
        return path
