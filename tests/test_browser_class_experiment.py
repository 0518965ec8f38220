"""A class experiment in Chromium, one teacher and three students (a browser context each):
the students join by code; the teacher sets up an experiment over three learning rates on the
class board and hands the values out; each student starts their run from the board; the
teacher's board shows the three curves while they train, then (ended) each value's mean and
band, the scatter, the table and the sentence; the CSV holds three rows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from classpages import join, unlock_and_open
from playwright.sync_api import expect

from cnnviz.runs import RunStore
from conftest import PageWatch

pytestmark = pytest.mark.browser
VIEW = {"width": 1400, "height": 1000}
# the Plotly chart in the board's curves container: in the page, or while seats train in the
# frame of a live chart (ui.live_chart)
PLOT = (
    "const box = document.querySelector('.st-key-brd_curves');"
    " const frame = box && box.querySelector('iframe');"
    " const g = frame && frame.contentDocument"
    " ? frame.contentDocument.querySelector('.js-plotly-plot')"
    " : box && box.querySelector('.js-plotly-plot');"
)
# the traces of that chart (0 while none is drawn), and the names in its legend
TRACES = "() => { " + PLOT + " return g && g.data ? g.data.length : 0; }"
NAMES = (
    "() => { "
    + PLOT
    + " return g && g.data ? g.data.filter(t => t.showlegend !== false).map(t => t.name) : []; }"
)


def assert_no_run_failed(home) -> None:
    """No run of the class failed or was cut off; else each one's stored reason, and the end of
    the server's log."""
    store = RunStore(home)
    bad = [r for r in store.list_runs() if r.status in ("failed", "interrupted")]
    if bad:
        reasons = "; ".join(f"{r.run_id} {r.status}: {store.get(r.run_id).error}" for r in bad)
        log = (home.parent / "server.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"runs that did not train: {reasons}\nserver log (end):\n{log}")


def controls(teacher: PageWatch) -> None:
    """Open the teacher's controls (an expander of the polled board) if it is closed."""
    t = teacher.page
    if not t.get_by_role("button", name="Results as CSV").is_visible():
        t.get_by_text("Teacher's controls").click()


def test_three_students_run_one_experiment_and_the_board_shows_it(class_server, browser):
    url, home = class_server
    contexts = [browser.new_context(viewport=VIEW, accept_downloads=True) for _ in range(4)]
    teacher, *students = (PageWatch(ctx.new_page()) for ctx in contexts)
    try:
        code = unlock_and_open(teacher, url)
        for i, student in enumerate(students):
            join(student, url, code, f"Student name {i + 1}")

        # the teacher sets the experiment up on the board: LeNet, lr 0.01, 0.1, 0.9, quick
        teacher.goto(f"{url}/board")
        t = teacher.page
        t.get_by_text("No class experiment yet").wait_for(timeout=30_000)
        values = t.get_by_role("textbox", name="Values, separated by commas")
        expect(values).to_have_value("0.01, 0.1, 0.9")
        expect(t.get_by_role("radio", name="Quick look (seconds)")).to_be_checked()
        t.get_by_role("button", name="Set up the class experiment").click()
        t.get_by_text("0 of 0 seats started").wait_for(timeout=30_000)
        controls(teacher)
        t.get_by_role("button", name="Hand values to every seat now").click()
        t.get_by_text("0 of 3 seats started").wait_for(timeout=30_000)

        # each student sees their value and starts their run from the board
        for student, value in zip(students, ("lr 0.01", "lr 0.1", "lr 0.9"), strict=True):
            student.goto(f"{url}/board")
            s = student.page
            s.get_by_text(f"Your value: {value}").wait_for(timeout=30_000)
            # one Start: the seat's box says its run is queued, training or finished once the
            # rerun that queued it has ended (the server's first start estimates the run,
            # torch's first imports: minutes on a busy machine). A press that a board refresh
            # in flight took, or that a limit refused for now, is pressed again, as a student
            # would (a seat that started already is refused, so a second press never starts a
            # second run; a run that failed is caught below, with its reason).
            start = s.get_by_role("button", name="Start my run")
            mine = s.locator(".st-key-brd_mine")
            started = re.compile(rf"Your run \({re.escape(value)}\): (queued|running|finished)")
            for _ in range(4):
                if start.count():
                    start.click()
                try:
                    expect(mine).to_contain_text(started, timeout=60_000)
                    break
                except AssertionError:
                    continue
            assert_no_run_failed(home)
            expect(mine).to_contain_text(started)
            expect(start).to_have_count(0)
            assert s.get_by_text("Teacher's controls").count() == 0  # the teacher's only

        # the teacher's board: three curves, one per seat, while the class trains
        t.get_by_text("3 of 3 seats started").wait_for(timeout=120_000)
        t.get_by_role("heading", name="Every seat's training loss, live").wait_for()
        t.wait_for_function(f"() => ({TRACES})() === 3", timeout=120_000)
        assert t.evaluate(NAMES) == ["lr 0.01", "lr 0.1", "lr 0.9"]
        teacher.screenshot("class_board_live")
        t.get_by_text("0 training · 3 finished").wait_for(timeout=240_000)
        # still every seat's curve until the teacher ends (the live chart's frame gives way to
        # the page's chart when the last run ends: waited for, not read mid-swap)
        t.wait_for_function(f"() => ({TRACES})() === 3", timeout=30_000)

        # ended: each value's mean and band, the scatter, the table and the sentence
        controls(teacher)
        t.get_by_role("button", name="End the experiment (show means and bands)").click()
        t.get_by_role("heading", name="Each value's mean and band over its runs").wait_for(
            timeout=30_000
        )
        t.wait_for_function(f"() => ({NAMES})().length === 3", timeout=30_000)
        assert t.evaluate(NAMES) == ["lr 0.01", "lr 0.1", "lr 0.9"]
        t.locator(".st-key-brd_conclusion").get_by_text("trained best").wait_for()
        t.get_by_role("heading", name="Value against final validation accuracy").wait_for()
        t.get_by_test_id("stDataFrame").wait_for()
        teacher.wait_charts()
        teacher.screenshot("class_board_final")

        controls(teacher)
        with t.expect_download() as download:
            t.get_by_role("button", name="Results as CSV").click()
        got = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
        assert len(got) == 3
        assert [r["value"] for r in got] == ["lr 0.01", "lr 0.1", "lr 0.9"]
        assert {r["status"] for r in got} == {"finished"}
        assert_no_run_failed(home)
        store = RunStore(home)
        owners = {store.get(r["run_id"]).user for r in got}
        assert len(owners) == 3  # each run is its student's
        for watch in (teacher, *students):
            watch.assert_clean()
    finally:
        for ctx in contexts:
            ctx.close()
