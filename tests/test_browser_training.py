"""The training page in Chromium, one behaviour per test, on one server of this module: a run
started in the form streams into the chart, the page keeps it across a page switch and a
reload (the session, the URL and the store), a finished run shows every epoch and the first
layer, its downloads, and a second run takes the page over."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from cnnviz_testing.browser import VIEWPORT, PageWatch, wait_idle
from conftest import start_server

pytestmark = pytest.mark.browser

EPOCHS = 8
TIMEOUT_MS = 240_000
# What the page shows, read in one go in the page: (epochs done, the run id in the run's header,
# the epoch markers plotted), or null while the fragment is between two drawings.
STATE_JS = r"""() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return null;
  const text = main.innerText;
  const done = text.match(/Epochs done: (\d+) of \d+/);
  const run = text.match(/· ([0-9a-f]{10}) ·/);
  if (!done || !run) return null;
  // a live run's curves are drawn in a frame (ui.live_chart), a finished run's in the page
  const frame = main.querySelector('[data-testid=stCustomComponentV1]');
  const where = frame && frame.contentDocument ? frame.contentDocument : main;
  const points = where.querySelectorAll('.scatterlayer path.point');
  return [Number(done[1]), run[1], points.length];
}"""


def state(web: PageWatch) -> tuple[int, str, int]:
    """(epochs done, run id shown, plotted epoch markers) as the page shows them now."""
    got = web.page.evaluate(STATE_JS)
    assert got is not None, "the training view shows no run"
    return tuple(got)


def wait_until(web: PageWatch, cond: str, arg=None, timeout: float = TIMEOUT_MS):
    """Wait until the page's state [done, run, points] satisfies ``cond``, a JavaScript
    predicate ``(s, arg) => …`` checked every 100 ms in the page; returns that state."""
    predicate = (
        f"(arg) => {{ const s = ({STATE_JS})(); return s !== null && ({cond})(s, arg) && s; }}"
    )
    try:
        handle = web.page.wait_for_function(predicate, arg=arg, timeout=timeout, polling=100)
    except PlaywrightError as exc:
        shown = web.page.evaluate(STATE_JS)
        raise AssertionError(f"not reached: {cond} (arg {arg}); the page shows {shown}") from exc
    return tuple(handle.json_value())


def start_run(web: PageWatch, epochs: int, examples: str | None = None) -> None:
    """Fill the form's epochs (and the training subset) and press Start."""
    p = web.page
    field = p.get_by_label("Epochs (num_epochs)")
    field.fill(str(epochs))
    field.press("Enter")
    web.wait_idle()
    if examples is not None:
        p.get_by_test_id("stSelectbox").filter(has_text="Training examples").click()
        p.get_by_role("option", name=examples, exact=True).click()
        web.wait_idle()
    p.get_by_role("button", name="Start training").click()


@pytest.fixture(scope="module")
def trainer(tmp_path_factory, browser):
    """A server of this module's own (one torch thread), one browser context (one visitor: the
    run picker lists that visitor's runs) and a LeNet run of EPOCHS epochs on 2,000 examples,
    started in the form; yields (URL, run id, the first state seen, the context)."""
    tmp = tmp_path_factory.mktemp("training")
    env = {"CNNVIZ_HOME": str(tmp / "home"), "CNNVIZ_THREADS": "1"}
    _, url, server = start_server(env, tmp / "server.log")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        web = PageWatch(context.new_page())
        web.goto(f"{url}/training")
        web.assert_clean()
        start_run(web, EPOCHS, "2,000")
        first = wait_until(web, "(s) => s[0] >= 1")
        web.screenshot("training_running")
        web.page.close()
        yield url, first[1], first, context
    finally:
        context.close()
        server.stop()


@pytest.fixture
def web(trainer):
    """A new tab of the trainer's visitor (in place of conftest's page of a context of its own)."""
    web = PageWatch(trainer[3].new_page())
    yield web
    web.page.close()


def finished(web: PageWatch, url: str, run_id: str) -> tuple[int, str, int]:
    """Open the run and wait until it has trained every epoch and says so."""
    web.goto(f"{url}/training?run={run_id}")
    end = wait_until(web, f"(s, id) => s[1] === id && s[0] === {EPOCHS}", run_id)
    web.page.get_by_text("finished").first.wait_for(timeout=30_000)
    web.wait_idle()
    return end


def test_a_started_run_streams_into_the_chart(trainer, web):
    url, run_id, first, _ = trainer
    web.goto(f"{url}/training?run={run_id}")
    # The curve gains points (its markers follow the caption within a redraw), or it is over.
    grown = wait_until(web, f"(s, n) => s[2] > n || s[0] === {EPOCHS}", first[2])
    assert grown[1] == run_id and grown[0] >= first[0]
    web.assert_clean()


def test_a_page_switch_keeps_the_run(trainer, web):
    """Away and back: the query parameter is dropped, the session remembers the run."""
    url, run_id, _, _ = trainer
    p = web.page
    web.goto(f"{url}/training?run={run_id}")
    before = wait_until(web, "(s, id) => s[1] === id", run_id)
    p.get_by_test_id("stSidebarNavLink").filter(has_text="Fashion-MNIST data").click()
    p.wait_for_url("**/data*")
    web.wait_idle()
    p.get_by_test_id("stSidebarNavLink").filter(has_text="Training runs").click()
    p.wait_for_url("**/training*")
    back = wait_until(web, "(s) => s[1] !== ''")
    assert back[1] == run_id and back[0] >= before[0]
    web.assert_clean()


def test_a_reload_keeps_the_run(trainer, web):
    """A reload is a new session: the URL (and the store) bring the same run back."""
    url, run_id, _, _ = trainer
    web.goto(f"{url}/training?run={run_id}")
    before = wait_until(web, "(s, id) => s[1] === id", run_id)
    web.page.reload()
    wait_idle(web.page)
    again = wait_until(web, "(s) => s[1] !== ''")
    assert again[1] == run_id and again[0] >= before[0]
    assert f"run={run_id}" in web.page.url  # a reload or a shared link finds this run again
    web.assert_clean()


def test_a_finished_run_shows_every_epoch_and_the_first_layer(trainer, web):
    url, run_id, _, _ = trainer
    p = web.page
    finished(web, url, run_id)
    web.screenshot("training_finished")
    chart = p.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(web.screenshot("training_finished").parent / "training_curves.png"))
    done, shown, points = state(web)
    # Train/val loss and accuracy: one marker each per epoch.
    assert (done, shown, points) == (EPOCHS, run_id, 4 * EPOCHS)
    p.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)  # the epochs' table
    assert p.get_by_test_id("stDataFrame").count() == 1
    # The first layer, scrubbed: the init beside the last epoch, kernels and feature maps drawn.
    kernels = p.get_by_test_id("stPlotlyChart").nth(1)
    kernels.scroll_into_view_if_needed()
    kernels.locator(".heatmaplayer").first.wait_for(timeout=30_000)
    assert kernels.locator(".heatmaplayer").count() == 2
    titles = kernels.inner_text()
    assert "epoch 0 (init)" in titles and f"after epoch {EPOCHS}" in titles
    assert p.get_by_test_id("stPlotlyChart").nth(2).locator(".heatmaplayer").count() == 2
    web.assert_clean()


def test_a_finished_run_downloads_its_metrics_and_weights(trainer, web):
    """Both downloads are made when clicked: one CSV row per epoch, and the weights file."""
    url, run_id, _, _ = trainer
    p = web.page
    finished(web, url, run_id)
    with p.expect_download() as download:
        p.get_by_role("button", name="Metrics (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    with p.expect_download() as download:
        p.get_by_role("button", name="Weights (.safetensors)").click()
    assert download.value.suggested_filename == f"cnnviz-{run_id}.safetensors"
    header = Path(download.value.path()).read_bytes()[8:]
    assert header.startswith(b"{")  # safetensors: an 8-byte length, then a JSON header
    web.assert_clean()


# Every run id the run's header shows from now on (a MutationObserver on the main area).
WATCH_JS = r"""() => {
  window.__shownRuns = new Set();
  const main = document.querySelector('[data-testid=stMain]');
  const look = () => {
    const m = main.innerText.match(/· ([0-9a-f]{10}) ·/);
    if (m) window.__shownRuns.add(m[1]);
  };
  look();
  new MutationObserver(look).observe(main, {subtree: true, childList: true, characterData: true});
}"""


def test_a_second_run_takes_the_page_and_the_picker_opens_the_first(trainer, web):
    """Start shows the new run, and the page stays on it until it ends (the browser's stale
    value of the previous run's picker once flipped the page back to the first run and forth);
    the picker still opens the first run."""
    url, first_id, _, _ = trainer
    p = web.page
    finished(web, url, first_id)
    start_run(web, 1)
    second = wait_until(web, "(s, id) => s[1] !== '' && s[1] !== id", first_id)[1]
    p.evaluate(WATCH_JS)
    wait_until(web, "(s, id) => s[1] === id && s[0] === 1", second)
    p.get_by_text("finished").first.wait_for(timeout=30_000)
    web.wait_idle()
    assert p.evaluate("() => [...window.__shownRuns]") == [second]
    assert f"run={second}" in p.url
    web.pick(f"train_show_{second}", first_id)
    # (the caption and the title are redrawn one after the other: wait for both)
    wait_until(web, f"(s, id) => s[1] === id && s[0] === {EPOCHS}", first_id, timeout=60_000)
    assert f"run={first_id}" in p.url
    web.assert_clean()
