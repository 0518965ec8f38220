"""A live chart (ui.live_chart) in Chromium: its frame changes the drawn chart in place when
a new figure comes (the SVG stays, a curve gains points, the height and name follow), and on
the Training page a running run's curves stay in one frame while they grow, then the finished
run's chart is Streamlit's own with every epoch."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import plotly.graph_objects as go
import pytest

from cnnviz.plots.look import with_look
from cnnviz_testing.browser import VIEWPORT, PageWatch
from conftest import start_server
from ui.live_chart import folder

pytestmark = pytest.mark.browser

# the plot in the page's live-chart frame: (its SVG marked, its markers, its name)
FRAME_JS = """() => {
  const f = document.querySelector('[data-testid=stCustomComponentV1]');
  if (!f || !f.contentDocument) return null;
  const svg = f.contentDocument.querySelector('.main-svg');
  if (!svg) return null;
  if (window.__svg === undefined) { window.__svg = svg; window.__frame = f; }
  return [window.__svg === svg && window.__frame === f,
          f.contentDocument.querySelectorAll('.scatterlayer path.point').length, f.title];
}"""


def figure(n: int, height: int = 300) -> str:
    fig = go.Figure(go.Scatter(x=list(range(n)), y=[i * i for i in range(n)], name="loss",
                               mode="lines+markers"))  # fmt: skip
    fig.update_layout(height=height, title="curves")
    return json.loads(with_look(fig).to_json())


@pytest.fixture
def frame_url():
    """The component's folder served over HTTP (as Streamlit serves it): its page's URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/index.html"
    server.shutdown()
    server.server_close()


def test_a_new_figure_is_drawn_into_the_same_chart(browser, frame_url):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors, fetched = [], []
    context.on("console", lambda m: m.type == "error" and errors.append(m.text))
    context.on("weberror", lambda e: errors.append(str(e.error)))
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # a page's own ask
    # the font is Streamlit's, on its static route: not served by this test's server
    context.route("**/static/media/**", lambda route: route.fulfill(status=204))
    context.on("request", lambda r: "plotly.min.js" in r.url and fetched.append(r.url))
    page.goto(frame_url)
    page.wait_for_function("() => window.Plotly !== undefined")
    page.evaluate("""() => { window.__heights = [];
        window.addEventListener('message', e => {
            if (e.data.type === 'streamlit:setFrameHeight') window.__heights.push(e.data.height);
        }); }""")  # fmt: skip
    render = (
        "([spec, name, h]) => window.postMessage({type: 'streamlit:render', "
        "args: {spec: JSON.stringify(spec), name: name, height: h, config: {}}}, '*')"
    )
    points = "() => document.querySelectorAll('.scatterlayer path.point').length"
    page.evaluate(render, [figure(3), "loss by epoch", 300])
    page.wait_for_function(f"() => ({points})() === 3")
    page.evaluate("() => { window.__svg = document.querySelector('.main-svg'); }")
    page.evaluate(render, [figure(7), "loss by epoch", 300])
    page.wait_for_function(f"() => ({points})() === 7")
    assert page.evaluate("() => window.__svg === document.querySelector('.main-svg')")
    assert page.get_by_role("figure", name="loss by epoch").count() == 1
    page.evaluate(render, [figure(7), "loss by epoch", 500])
    page.wait_for_function("() => window.__heights.includes(500)")
    assert page.evaluate("() => window.__heights") == [300, 500]  # once per height
    assert page.evaluate("() => document.getElementById('chart').offsetHeight") == 500
    # Plotly's bundle was fetched once, and is kept by the browser: the next frame (another
    # page of the same browser) takes it from there
    assert len(fetched) == 1
    again = context.new_page()
    again.goto(frame_url)
    again.wait_for_function("() => window.Plotly !== undefined")
    again.evaluate(render, [figure(2), "loss by epoch", 300])
    again.wait_for_function(f"() => ({points})() === 2")
    assert len(fetched) == 1
    assert not errors, errors
    context.close()


def test_a_running_run_is_redrawn_in_one_frame(tmp_path, browser):
    home = tmp_path / "home"
    _, url, server = start_server({"CNNVIZ_HOME": str(home), "CNNVIZ_THREADS": "1"},
                                  tmp_path / "server.log")  # fmt: skip
    context = browser.new_context(viewport=VIEWPORT)
    try:
        web = PageWatch(context.new_page())
        p = web.page
        web.goto(f"{url}/training")
        field = p.get_by_label("Epochs (num_epochs)")
        field.fill("3")
        field.press("Enter")
        web.wait_idle()
        web.pick("train_subset", "10,000")
        p.get_by_role("button", name="Start training").click()
        first = p.wait_for_function(f"() => {{ const s = ({FRAME_JS})(); return s && s; }}",
                                    timeout=120_000, polling=100).json_value()  # fmt: skip
        assert first[0] and "loss" in first[2]
        # the curves grow in the same frame and SVG, or the run ended (its own chart then)
        grown = p.wait_for_function(
            f"(n) => {{ const s = ({FRAME_JS})(); "
            "return (s === null || s[1] > n) && (s === null ? 'over' : s); }",
            arg=first[1], timeout=240_000, polling=100,
        ).json_value()  # fmt: skip
        assert grown == "over" or grown[0], grown
        p.get_by_text("finished").first.wait_for(timeout=240_000)
        web.wait_idle()
        assert p.get_by_test_id("stCustomComponentV1").count() == 0
        markers = p.locator("[data-testid=stPlotlyChart] .scatterlayer path.point")
        markers.first.wait_for(timeout=60_000)
        assert markers.count() == 4 * 3  # train loss, val loss, train acc, val acc per epoch
        web.assert_clean()
    finally:
        context.close()
        server.stop()


def test_the_folder_comes_back_when_a_cleaner_took_it(tmp_path, monkeypatch):
    """A long-running server whose temporary folder was emptied by a cleaner makes it again
    at the next live chart: every file, Plotly's bundle packed, its version in the page (in a
    folder of the test's own: the servers of other tests use the real one)."""
    import gzip

    from ui import live_chart

    home = tmp_path / "live-chart"
    monkeypatch.setattr(live_chart, "_place", lambda: (home, live_chart._sources()))
    home.mkdir()
    (home / "index.html").write_text("left by a cleaner")
    assert folder() == home
    names = {p.name for p in home.iterdir()}
    assert {"index.html", "live_chart.js", "plotly.min.js", "plotly.min.js.gz"} <= names
    assert (
        gzip.decompress((home / "plotly.min.js.gz").read_bytes())
        == (home / "plotly.min.js").read_bytes()
    )
    page = (home / "index.html").read_text()
    assert "@@PLOTLY@@" not in page and 'data-plotly="' in page
    assert "url(../../static/media/SourceSansVF-Upright" in page  # Streamlit's own font
