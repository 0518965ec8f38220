"""One press of Start, one run, in Chromium: pressing Start many times in a row queues exactly
one run per press the page took (each press waits for the page to show its run), and a burst
of presses on one drawn button queues no more runs than presses, each its own."""

from __future__ import annotations

import pytest

from cnnviz.runs import RunStore
from cnnviz_testing.browser import VIEWPORT, PageWatch
from conftest import start_server

pytestmark = pytest.mark.browser

SHOWN_RUN_JS = r"""() => {
  const main = document.querySelector('[data-testid=stMain]');
  const m = main && main.innerText.match(/· ([0-9a-f]{10}) ·/);
  return m ? m[1] : null;
}"""


@pytest.fixture
def start_page(tmp_path, browser):
    """A server of its own (a student may queue many runs here) and its Training page set to
    one-epoch runs of 1,000 examples: (the page, the store's folder)."""
    home = tmp_path / "home"
    env = {"CNNVIZ_HOME": str(home), "CNNVIZ_THREADS": "1",
           "CNNVIZ_MAX_QUEUED_PER_USER": "40", "CNNVIZ_MAX_QUEUED": "100",
           "CNNVIZ_MAX_QUEUED_PER_ADDRESS": "100"}  # fmt: skip
    _, url, server = start_server(env, tmp_path / "server.log")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        web = PageWatch(context.new_page())
        web.goto(f"{url}/training")
        p = web.page
        field = p.get_by_label("Epochs (num_epochs)")
        field.fill("1")
        field.press("Enter")
        web.wait_idle()
        p.get_by_test_id("stSelectbox").filter(has_text="Training examples").click()
        p.get_by_role("option", name="1,000", exact=True).click()
        web.wait_idle()
        yield web, home
    finally:
        context.close()
        server.stop()


def _shown(web: PageWatch) -> str | None:
    return web.page.evaluate(SHOWN_RUN_JS)


def _runs(home) -> list[str]:
    store = RunStore(home)
    try:
        return [r.run_id for r in store.list_runs()]
    finally:
        store.close()


def test_each_press_in_a_row_queues_exactly_one_run(start_page):
    web, home = start_page
    seen = []
    for _ in range(6):
        before = _shown(web)
        web.page.get_by_role("button", name="Start training").click()
        web.page.wait_for_function(
            f"(before) => {{ const s = ({SHOWN_RUN_JS})(); return s && s !== before; }}",
            arg=before, timeout=60_000,
        )  # fmt: skip
        web.wait_idle()
        seen.append(_shown(web))
        assert len(_runs(home)) == len(seen), "a press queued more than one run"
    assert len(set(seen)) == 6 and sorted(_runs(home)) == sorted(seen)
    web.assert_clean()


def test_a_burst_of_presses_never_queues_more_runs_than_presses(start_page):
    web, home = start_page
    button = web.page.get_by_role("button", name="Start training")
    for _ in range(4):
        button.click(no_wait_after=True)
    web.wait_idle()
    runs = _runs(home)
    print(f"4 presses in a burst queued {len(runs)} run(s)")
    assert 1 <= len(runs) <= 4, runs
    store = RunStore(home)
    try:
        tokens = [t for (t,) in store._q("SELECT submit_token FROM runs")]
    finally:
        store.close()
    assert len(set(tokens)) == len(tokens) == len(runs) and all(tokens)
    assert _shown(web) in runs
    # An image of a rerun the next press cut short can be asked for after the newer rerun
    # dropped it (Streamlit's media store): not this test's matter.
    web.bad_responses[:] = [r for r in web.bad_responses if "/media/" not in r]
    web.assert_clean()
