"""Accessibility of the states a page reaches only after something happened, in English and
Korean: axe-core's WCAG 2.0/2.1 A and AA rules (``axe_findings`` of test_browser_a11y, frames
included) on a teacher's finished run with its delete popover and every expander open, a run
that failed, a refused upload, the class pages with a class open (the teacher's page, the board
with an experiment, the projector, the join link), the sidebar open on a phone, and a run
training in a live chart with a second run queued behind it.

One server for the module, its store holding a finished LeNet (imported), a failed run and a
class of three students with an ended experiment; one run worker, so a second run queues.
"""

from __future__ import annotations

import pytest
from classpages import unlock_teacher
from test_browser_a11y import ON_SCREEN, PHONE, axe_findings

from conftest import CLASS_SECRET, VIEWPORT, PageWatch, start_server, stop_server
from ui.locales import CATALOGS

pytestmark = pytest.mark.browser
LANGS = ("en", "ko")
EXPANDERS = "[data-testid=stMain] [data-testid=stExpander] details:not([open]) > summary"


@pytest.fixture(scope="module")
def states_server(tmp_path_factory, trained_run):
    from cnnviz.runs import RunStore
    from cnnviz_testing.classboard import class_with_runs

    home = tmp_path_factory.mktemp("a11y_states_home")
    store = RunStore(home)
    finished, _ = store.import_run(trained_run[2], "lenet.safetensors")
    failed = store.create(store.get(finished).config, name="Broken run", preset="LeNet")
    store.add_epoch(failed, store.metrics_rows(finished)[0])
    store.set_status(failed, "failed", error="RuntimeError: the loss became NaN")
    code = class_with_runs(store, n_seats=3).session.code
    store.close()
    env = {"CNNVIZ_HOME": str(home), "CNNVIZ_TEACHER_SECRET": CLASS_SECRET,
           "CNNVIZ_THREADS": "1", "CNNVIZ_WORKERS": "1"}  # fmt: skip
    proc, url, log = start_server(env, home / "server.log")
    yield url, finished, failed, code
    stop_server(proc, log)


def _text(lang: str, section: str, key: str) -> str:
    return CATALOGS[lang][section].get(key) or CATALOGS["en"][section][key]


def _address(url: str, path: str, lang: str) -> str:
    if lang == "en":
        return f"{url}{path}"
    return f"{url}{path}{'&' if '?' in path else '?'}lang={lang}"


def _teacher(browser, url: str, lang: str) -> PageWatch:
    """A browser context whose user unlocked the teacher's role on the Class page."""
    web = PageWatch(browser.new_context(viewport=VIEWPORT).new_page())
    web.goto(_address(url, "/classroom", lang))
    p = web.page
    p.get_by_text(_text(lang, "identity", "teacher"), exact=True).first.click()
    unlock = p.get_by_role("button", name=_text(lang, "identity", "unlock"))
    unlock_teacher(p, p.locator("input[type=password]:visible"), unlock)
    web.wait_idle()
    return web


def _open_expanders(web: PageWatch) -> int:
    summaries = web.page.locator(EXPANDERS)
    n = summaries.count()
    for _ in range(n):
        web.page.locator(EXPANDERS).first.click()
        web.wait_idle()
    return n


def _scan(web: PageWatch, found: dict, state: str) -> None:
    web.wait_idle(120_000)  # a page polling a live run settles late on a busy machine
    if hits := axe_findings(web.page):
        found[state] = hits


@pytest.mark.parametrize("lang", LANGS)
def test_run_states(states_server, browser, lang):
    """A teacher's finished run (pin switch, downloads, the delete popover, every expander),
    a failed run, and the import box with a refused file."""
    url, finished, failed, _ = states_server
    web = _teacher(browser, url, lang)
    p, found = web.page, {}
    try:
        web.goto(_address(url, f"/training?run={finished}", lang))
        web.wait_charts()
        p.locator("[data-testid=stPopover] button").first.click()
        p.locator("[data-testid=stPopoverBody]").wait_for()
        _scan(web, found, "delete popover")
        p.keyboard.press("Escape")
        assert _open_expanders(web) >= 2  # the import box and the charts' tables
        _scan(web, found, "expanders")

        web.goto(_address(url, f"/training?run={failed}", lang))
        _scan(web, found, "failed run")

        p.locator(".st-key-train_import_box summary").click()
        web.wait_idle()
        p.locator(".st-key-train_import input[type=file]").set_input_files(
            files=[{"name": "bad.safetensors", "mimeType": "application/octet-stream",
                    "buffer": b"not a run file"}],
        )  # fmt: skip
        p.get_by_test_id("stAlertContentError").filter(has_text="bad.safetensors").wait_for()
        _scan(web, found, "refused upload")
        assert not found, found
        web.assert_clean()
    finally:
        web.page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_class_states(states_server, browser, lang):
    """The teacher's Class page with a class open, the board with students and an ended
    experiment (its expanders open), the projector view, and a student's join link."""
    url, _, _, code = states_server
    web = _teacher(browser, url, lang)
    student = PageWatch(browser.new_context(viewport=VIEWPORT).new_page())
    p, found = web.page, {}
    try:
        p.get_by_test_id("stDataFrame").first.wait_for()  # the roster of the open class
        _scan(web, found, "class open")
        web.goto(_address(url, "/board", lang))
        web.wait_charts()
        _open_expanders(web)
        _scan(web, found, "board")
        web.goto(_address(url, "/classroom?view=projector", lang))
        p.get_by_test_id("class-code").wait_for()
        _scan(web, found, "projector")
        student.goto(_address(url, f"/classroom?join={code}", lang))
        _scan(student, found, "join link")
        assert not found, found
        web.assert_clean()
        student.assert_clean()
    finally:
        web.page.context.close()
        student.page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_phone_sidebar_open(states_server, browser, lang):
    url, finished, _, _ = states_server
    context = browser.new_context(**PHONE)
    web = PageWatch(context.new_page())
    try:
        web.goto(_address(url, f"/training?run={finished}", lang))
        web.page.locator("[data-testid=stExpandSidebarButton]").tap()
        web.page.wait_for_function(ON_SCREEN, timeout=10_000)
        found = {}
        _scan(web, found, "sidebar open")
        assert not found, found
        web.assert_clean()
    finally:
        context.close()


def test_training_and_queued_runs(states_server, browser):
    """A run training (its curves in a live chart's frame, ui.live_chart: named, its content
    scanned too) and a second run queued behind it, in English, then both in Korean. A class
    is open: the teacher starts them (a student not seated is told to join first)."""
    url = states_server[0]
    found: dict = {}
    visitor = PageWatch(browser.new_context(viewport=VIEWPORT).new_page())
    try:
        visitor.goto(f"{url}/training")
        visitor.page.get_by_role("button", name=_text("en", "training", "start")).click()
        visitor.page.get_by_test_id("stAlertContentError").first.wait_for()  # join first
        _scan(visitor, found, "refused start")
    finally:
        visitor.page.context.close()
    web = _teacher(browser, url, "en")
    p = web.page
    drawn = (
        "() => { const f = document.querySelector('[data-testid=stCustomComponentV1]');"
        " return !!(f && f.contentDocument && f.contentDocument.querySelector('.main-svg')); }"
    )
    try:
        web.goto(f"{url}/training")
        field = p.get_by_label(_text("en", "training", "epochs"))
        field.fill("200")  # still training at the end (some 20 minutes)
        field.press("Enter")
        web.wait_idle()
        web.pick("train_subset", "60,000")
        p.get_by_role("button", name=_text("en", "training", "start")).click()
        p.wait_for_function(drawn, timeout=120_000)
        p.wait_for_url("**run=*", timeout=30_000)
        running = p.url
        frame = p.get_by_test_id("stCustomComponentV1")
        assert "loss" in frame.get_attribute("title")
        _scan(web, found, "training en")
        p.get_by_role("button", name=_text("en", "training", "start")).click()
        p.get_by_text("Queued:").first.wait_for(timeout=60_000)
        p.wait_for_function("(r) => location.href.includes('run=') && location.href !== r",
                            arg=running, timeout=30_000)  # fmt: skip
        queued = p.url
        _scan(web, found, "queued en")
        web.goto(_address(url, "/training?" + queued.partition("?")[2], "ko"))
        _scan(web, found, "queued ko")
        web.goto(_address(url, "/training?" + running.partition("?")[2], "ko"))
        p.wait_for_function(drawn, timeout=120_000)
        assert "손실" in frame.get_attribute("title")
        _scan(web, found, "training ko")
        assert not found, found
        web.assert_clean()
    finally:
        web.page.context.close()
