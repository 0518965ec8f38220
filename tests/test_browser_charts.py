"""Charts in real Chromium: a widget change draws each changed chart once, and a chart that
carries its look (``cnnviz.plots.look``, ``theme=None``) looks as Streamlit's theme makes it."""

import contextlib
import json
import shutil
import sys

import pytest

from cnnviz_testing import REPO
from cnnviz_testing.browser import VIEWPORT, PageWatch, wait_charts
from cnnviz_testing.server import StreamlitServer

pytestmark = pytest.mark.browser

# Installed before the page's scripts: every full Plotly draw (its _doPlot, which emits
# "plotly_beforeplot" through the graph div's event emitter; an update that changes nothing
# does not draw) is logged with the key of the chart's element.
DRAWS_JS = r"""
(() => {
  window.__draws = [];
  const keyOf = (gd) => {
    const box = gd.closest('[class*="st-key-"]');
    return box ? [...box.classList].find(c => c.startsWith('st-key-')).slice(7) : '?';
  };
  function watch(gd) {
    if (gd.__watched) return;
    gd.__watched = true;
    Object.defineProperty(gd, '_ev', {configurable: true, get() { return this.__ev; },
      set(ev) {
        this.__ev = ev;
        if (ev && ev.on) ev.on('plotly_beforeplot', () => { window.__draws.push(keyOf(this)); });
      }});
  }
  let plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return plotly; },
    set(P) {
      plotly = P;
      if (!P || P.__watched) return;
      P.__watched = true;
      for (const name of ['react', 'newPlot']) {
        const call = P[name];
        P[name] = function (gd, ...rest) { watch(gd); return call.call(this, gd, ...rest); };
      }
    }});
})();
"""

# What a chart shows, from Plotly's processed figure: fonts, colours, margins, axes, the
# traces' colour scales and markers.
LOOK_JS = r"""(key) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const L = gd._fullLayout;
  const pick = (o, ks) => JSON.parse(JSON.stringify(Object.fromEntries(ks.map(k => [k, o[k]]))));
  const out = {layout: pick(L, ['font', 'legend', 'paper_bgcolor', 'plot_bgcolor', 'colorway',
                                'margin', 'hoverlabel']),
               title: pick(L.title, ['font', 'x', 'xanchor', 'pad', 'text']),
               traces: gd._fullData.map(t => pick(t, ['colorscale', 'marker', 'line', 'textfont',
                                                      'colorbar']))};
  for (const k of Object.keys(L).filter(k => /^[xy]axis\d*$/.test(k)).sort()) {
    out[k] = pick(L[k], ['tickfont', 'title', 'gridcolor', 'zerolinecolor', 'showgrid',
                         'zeroline', 'automargin', 'ticklabelposition', 'tickcolor', 'ticks',
                         'showline', 'minor']);
  }
  return out;
}"""


@contextlib.contextmanager
def counting_draws(browser, url: str, first_chart: str):
    """The page at ``url`` with Plotly's full draws counted per chart (:data:`DRAWS_JS`), once
    ``first_chart`` and the others are drawn; it must end clean; closed after."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(DRAWS_JS)
    web = PageWatch(context.new_page())
    try:
        web.page.set_default_timeout(90_000)
        web.goto(url)
        web.page.wait_for_selector(f".st-key-{first_chart} .js-plotly-plot")
        web.wait_charts()
        yield web
        web.assert_clean()
    finally:
        context.close()


def draws_after_pick(web: PageWatch, key: str, value: str, chart: str) -> dict[str, int]:
    """Pick ``value`` in the widget ``key``; once ``chart`` has been drawn again and every chart
    is drawn: how many times each chart was drawn."""
    web.page.evaluate("() => { window.__draws = []; }")
    web.pick(key, value)
    web.page.wait_for_function(f"() => window.__draws.includes('{chart}')")
    web.wait_charts()
    draws = web.page.evaluate("() => window.__draws")
    return {k: draws.count(k) for k in draws}


def test_a_kernel_change_draws_each_changed_chart_once(server, browser):
    with counting_draws(browser, f"{server}/cross_correlation", "xcorr_out_chart") as web:
        for preset in ("Sobel x", "Laplacian"):
            counts = draws_after_pick(web, "xcorr_kernel_preset", preset, "xcorr_out_chart")
            assert counts.get("xcorr_out_chart") == 1, counts  # the output follows the kernel
            assert set(counts.values()) == {1}, counts  # no chart drawn twice
            template = web.page.evaluate(
                "() => document.querySelector('.st-key-xcorr_out_chart .js-plotly-plot')"
                ".layout.template"
            )
            assert template is None  # the look is in the figure, not left to the browser


LOOK_APP = """
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from cnnviz.plots.base import base_layout, heatmap
from cnnviz.plots.look import with_look

curves = go.Figure([go.Scatter(y=[1, 3, 2], name="a"), go.Scatter(y=[2, 1, 3], name="b")])
base_layout(curves, "Two curves", 300).update_xaxes(title="epoch")
grid = heatmap([[1.0, -2.0], [0.5, 3.0]], title="A kernel", height=300)
panels = make_subplots(rows=1, cols=2, subplot_titles=("left", "right"))
panels.add_trace(go.Bar(x=[1, 2], y=[3, 1]), row=1, col=1)
panels.add_trace(go.Heatmap(z=[[1, 2], [3, 4]]), row=1, col=2)
figures = {"curves": curves, "grid": grid, "panels": base_layout(panels, None, 300)}
for name, fig in figures.items():
    st.plotly_chart(fig, key=f"themed_{name}")
    st.plotly_chart(with_look(fig), theme=None, key=f"carried_{name}")
"""


@pytest.fixture
def look_server(tmp_path):
    """A one-page app (the repository's theme) drawing three figures both ways."""
    app = tmp_path / "app"
    (app / ".streamlit").mkdir(parents=True)
    shutil.copy(REPO / ".streamlit" / "config.toml", app / ".streamlit" / "config.toml")
    (app / "app.py").write_text(LOOK_APP)
    env = {"PYTHONPATH": str(REPO) + ":" + ":".join(p for p in sys.path if p)}
    server = StreamlitServer(tmp_path / "home", env=env, app_dir=app).start()
    yield server.url
    server.stop()


def _plain(look):
    """``look`` without Plotly's internal fields (``_…``: positions, the template it read), and
    the title's text without its bold tags (the theme wraps the text twice)."""
    if isinstance(look, dict):
        out = {k: _plain(v) for k, v in look.items() if not k.startswith("_")}
        if isinstance(out.get("title"), dict) and isinstance(out["title"].get("text"), str):
            out["title"]["text"] = out["title"]["text"].replace("<b>", "").replace("</b>", "")
        return out
    return [_plain(v) for v in look] if isinstance(look, list) else look


@pytest.mark.parametrize("name", ["curves", "grid", "panels"])
def test_a_chart_carrying_its_look_looks_as_the_theme_makes_it(look_server, web, name):
    web.page.set_default_timeout(90_000)
    web.goto(look_server)
    web.page.wait_for_selector(f".st-key-carried_{name} .js-plotly-plot")
    wait_charts(web.page)
    themed = web.page.evaluate(LOOK_JS, f"themed_{name}")
    carried = web.page.evaluate(LOOK_JS, f"carried_{name}")
    if name != "panels":
        assert carried["title"]["text"].startswith("<b>")  # bold, as the theme writes titles
    themed, carried = _plain(themed), _plain(carried)
    for part in themed:  # part by part, so a failure names the part
        assert json.dumps(carried[part], sort_keys=True) == json.dumps(themed[part], sort_keys=True)
    assert carried.keys() == themed.keys()
    web.assert_clean()
