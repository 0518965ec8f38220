"""A lecture hall (two server processes over one store, nginx in front, as `make serve-class`
starts it) in Chromium and over HTTP: every browser sticks to one process, the page and its
websocket come through the proxy, uploads up to the app's limit reach the page's process and
bigger ones are refused with a message."""

from __future__ import annotations

import contextlib
import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from cnnviz.serve_class import LectureHall, upload_limit_mb

pytestmark = pytest.mark.browser
MIB = 1024 * 1024


def start_hall(home, processes: int = 2, **env) -> LectureHall:
    env = {"CNNVIZ_HOME": str(home), "CNNVIZ_EXECUTOR": "process", "CNNVIZ_THREADS": "1", **env}
    return LectureHall(processes, port=0, env=env, log_dir=home / "logs").start()


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    h = start_hall(tmp_path_factory.mktemp("hall_home"))
    yield h
    h.stop()


def get(url: str, route: str | None = None, data: bytes | None = None, headers=None):
    """(status, headers, body) of a request (a PUT with ``data``), with the routing cookie
    ``route`` when given."""
    headers = dict(headers or {})
    if route:
        headers["Cookie"] = "; ".join(
            filter(None, [f"cnnviz_route={route}", headers.get("Cookie")])
        )
    req = urllib.request.Request(url, data=data, headers=headers, method="PUT" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def process(hall: LectureHall, route: str | None = None) -> int:
    _, headers, _ = get(hall.url + "/_stcore/health", route)
    return hall.process_of(headers["X-Cnnviz-Process"])


def test_each_browser_sticks_to_one_process(hall):
    seen = {}
    for k in range(20):
        seen[k] = {process(hall, f"student{k}") for _ in range(3)}
    assert all(len(s) == 1 for s in seen.values()), seen  # the same process every time
    assert set().union(*seen.values()) == {0, 1}  # and the class spread over both
    # a first visit is routed by the cookie it is given back
    _, headers, _ = get(hall.url + "/")
    cookie = re.match(r"cnnviz_route=([0-9a-f]{32});", headers["Set-Cookie"]).group(1)
    first = hall.process_of(headers["X-Cnnviz-Process"])
    assert {process(hall, cookie) for _ in range(3)} == {first}
    # one that has its cookie is not given another
    _, headers, _ = get(hall.url + "/", cookie)
    assert "cnnviz_route" not in (headers.get("Set-Cookie") or "")


def multipart(n: int) -> tuple[bytes, str]:
    """A form with one file of ``n`` bytes, as the frontend sends it: (body, content type)."""
    b = "cnnvizboundary"
    head = (f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="x.safetensors"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n")  # fmt: skip
    return (
        head.encode() + b"\xff" * n + f"\r\n--{b}--\r\n".encode(),
        f"multipart/form-data; boundary={b}",
    )


def test_an_upload_reaches_the_sessions_process_or_is_refused_with_words(hall):
    """At the protocol level: a session opened through nginx on process 0; a file PUT for it
    goes where its routing cookie sends it."""
    import asyncio

    from cnnviz_testing.protocol import Session, run_apart

    mb = upload_limit_mb()
    s = Session(hall.url.removeprefix("http://"), 120, cookies={"cnnviz_route": hall.route_to(0)})
    other = hall.route_to(1)

    async def open_and_upload():
        await s.open("training")
        try:
            url = f"{hall.url}/_stcore/upload_file/{s.session_id}/f1"
            xsrf = {"X-Xsrftoken": s.cookies["_streamlit_xsrf"], "Cookie": s.cookie_header()}

            def put(route: str, n: int):
                body, kind = multipart(n)
                return get(url, route, body, {**xsrf, "Content-Type": kind})

            route = s.cookies["cnnviz_route"]
            return [  # in the session's process; over the limit; in the other process
                await asyncio.to_thread(put, route, mb * MIB - 4096),
                await asyncio.to_thread(put, route, mb * MIB + 1),
                await asyncio.to_thread(put, other, 1000),
            ]
        finally:
            await s.close()

    at_limit, over, elsewhere = run_apart(open_and_upload())
    assert at_limit[0] == 204, at_limit
    # nginx's words, in plain text (Streamlit refuses a body over its limit too: nginx says it
    # first, and the app process is not cut off mid-body)
    assert over[0] == 413 and over[1]["Content-Type"].startswith("text/plain"), over
    assert f"larger than the server takes ({mb} MB)".encode() in over[2]
    # the session lives in process 0 only: why the routing cookie must hold for uploads
    assert elsewhere[0] == 400 and b"Invalid session_id" in elsewhere[2], elsewhere


def upload(web, path) -> None:
    """Choose ``path`` in the import box (a path: Playwright passes a buffer of tens of MB to
    Chromium too slowly on a busy machine)."""
    box = web.page.get_by_test_id("stExpander").filter(has_text="Import a run")
    box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path), timeout=120_000)


@pytest.mark.parametrize("i", [0, 1])
def test_the_page_its_websocket_and_an_upload_at_the_limit(hall, browser, tmp_path, i):
    """A page pinned to each process in turn: it runs (its websocket came through nginx), and
    a file of exactly the app's limit reaches the session's process, which reads it."""
    from cnnviz_testing.browser import VIEWPORT, PageWatch

    mb = upload_limit_mb()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        route = hall.route_to(i)
        context.add_cookies([{"name": "cnnviz_route", "value": route, "url": hall.url}])
        web = PageWatch(context.new_page())
        web.goto(f"{hall.url}/training")
        p = web.page
        p.get_by_text("No runs yet").first.wait_for(timeout=60_000)
        answered = p.request.get(hall.url + "/_stcore/health").headers["x-cnnviz-process"]
        assert hall.process_of(answered) == i
        p.get_by_text("Import a run").click()
        # the limit less the form's framing (Streamlit holds the whole request to the limit;
        # the frontend counts a MB as 10^6 bytes on some systems, 2^20 on others)
        big, bigger = tmp_path / "big.safetensors", tmp_path / "bigger.safetensors"
        big.write_bytes(b"\xff" * (min(mb * MIB, mb * 10**6) - 4096))
        bigger.write_bytes(b"\xff" * (mb * MIB + 1))  # past the limit on every system
        upload(web, big)
        p.get_by_text("“big.safetensors” is not a safetensors file").wait_for(timeout=120_000)
        web.assert_clean()
        upload(web, bigger)
        p.get_by_text(re.compile(r"File must be .*MB or smaller")).wait_for(timeout=60_000)
        if i == 0:
            web.screenshot("lecture_hall_upload")
        web.assert_clean()
    finally:
        context.close()


# -- a process dies under a student -----------------------------------------------------------

RUN = re.compile(r"· ([0-9a-f]{10}) ·")
# Counts the page's websockets that opened: the reconnect after a process died is the second.
COUNT_WS = """(() => {
  window.__wsOpened = 0;
  window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { window.__wsOpened += 1; });
    }
  };
})();"""


def store_rows(home, sql: str, args=()) -> list[tuple]:
    """A read of the hall's store, as a separate program would make it."""
    import sqlite3

    with contextlib.closing(
        sqlite3.connect(f"file:{home / 'runs.sqlite'}?mode=ro", uri=True)
    ) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        return db.execute(sql, args).fetchall()


def visit(hall: LectureHall, i: int, page: str) -> None:
    """Open ``page`` on app process ``i`` at the protocol level (its run manager starts)."""

    from cnnviz_testing.protocol import Session, run_apart

    async def run():
        s = Session(
            hall.url.removeprefix("http://"), 180, cookies={"cnnviz_route": hall.route_to(i)}
        )
        try:
            assert (await s.open(page)).ok
        finally:
            await s.close()

    run_apart(run())


def dispatcher(hall: LectureHall, home) -> tuple[int, str]:
    """The index of the process that holds the store's dispatcher lease (``host:pid:token``),
    once both have opened the Training page, and its run manager's token."""
    for i in range(len(hall.ports)):
        visit(hall, i, "training")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = store_rows(home, "SELECT holder FROM leases WHERE name='dispatcher'")
        pids = hall.pids
        if rows and (pid := int(rows[0][0].rsplit(":", 2)[1])) in pids:
            return pids.index(pid), rows[0][0].rsplit(":", 2)[2]
        time.sleep(0.2)
    raise AssertionError("no process of the hall holds the dispatcher lease")


def trains_in(hall: LectureHall, pid: int) -> int:
    """The app process whose run worker (or itself) is ``pid``: the run's dispatcher."""
    from cnnviz_testing.procs import descendants

    for i, app in enumerate(hall.pids):
        if app is not None and (pid == app or pid in descendants(app)):
            return i
    raise AssertionError(f"pid {pid} is no process of the hall's ({hall.pids})")


def wait_store(home, sql: str, want, args=(), timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = store_rows(home, sql, args)
        if want(got):
            return got
        time.sleep(0.2)
    leases = store_rows(home, "SELECT holder FROM leases")
    raise AssertionError(f"{sql}: not reached, last {got}; leases {leases}")


LIVE_CHART_DRAWN = """() => { const f = document.querySelector('[data-testid=stCustomComponentV1]');
    return !!(f && f.contentDocument && f.contentDocument.querySelector('.main-svg')); }"""


def start_long_run(web) -> str:
    """A LeNet run of 150 epochs on 2,000 examples (minutes), started from the Training page;
    returns its id."""
    p = web.page
    epochs = p.get_by_label("Epochs (num_epochs)")
    epochs.fill("150")
    epochs.press("Enter")
    web.wait_idle()
    p.get_by_test_id("stSelectbox").filter(has_text="Training examples").click()
    p.get_by_role("option", name="2,000", exact=True).click()
    web.wait_idle()
    p.get_by_role("button", name="Start training").click()
    p.get_by_text(RUN).first.wait_for(timeout=60_000)
    return RUN.search(p.get_by_text(RUN).first.inner_text()).group(1)


@pytest.mark.parametrize("killed", ["students", "dispatcher"])
def test_a_student_finds_their_run_after_their_process_dies(tmp_path, browser, killed):
    """The student's page is on one process; that process is killed (-9). The page reconnects
    through nginx to the other. Killed the student's process (not the dispatcher): the run
    trains on in the dispatcher's worker, and the student stops it from the other process.
    Killed the dispatcher (the student's process too): the other takes the lease within 5 s
    and the run ends interrupted, with the reason, shown to the student. Nothing in the store
    is lost either way."""
    from cnnviz_testing.browser import VIEWPORT, PageWatch

    home = tmp_path / "home"
    hall = start_hall(home, CNNVIZ_WORKERS="1")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        d, _ = dispatcher(hall, home)
        mine = 1 - d if killed == "students" else d

        def land_on(i: int) -> None:
            route = {"name": "cnnviz_route", "value": hall.route_to(i), "url": hall.url}
            context.add_cookies([route])

        land_on(mine)
        context.add_init_script(COUNT_WS)
        web = PageWatch(context.new_page())
        p = web.page
        web.goto(f"{hall.url}/training")
        run_id = start_long_run(web)
        # it trains in the worker of the process that dispatches (the lease's holder when it
        # was claimed), whichever process the student pressed Start on
        sql = "SELECT status, owner_pid FROM runs WHERE run_id=?"
        got = wait_store(home, sql, lambda r: r and r[0][0] == "running", (run_id,))
        d = trains_in(hall, got[0][1])
        want = 1 - d if killed == "students" else d
        if want != mine:  # the lease moved meanwhile (a busy machine): the student moves too
            land_on(want)
            mine = want
            p.reload()
            web.wait_idle(120_000)
        wait_store(home, "SELECT COUNT(*) FROM metrics WHERE run_id=?", lambda r: r[0][0] >= 1,
                   (run_id,))  # fmt: skip
        p.locator(".st-key-train_stop button").wait_for(timeout=60_000)
        # the page shows the run: its live chart is drawn (Plotly's bundle, which a browser
        # fetches once, is in; one caught in flight by the kill is fetched again, a 404 first
        # from a process that has not run a page yet)
        p.wait_for_function(LIVE_CHART_DRAWN, timeout=60_000)
        owner = store_rows(home, sql, (run_id,))
        runs_before = store_rows(
            home, "SELECT run_id, created, name, user_id FROM runs ORDER BY run_id"
        )
        epochs_before = store_rows(home, "SELECT epoch FROM metrics WHERE run_id=?", (run_id,))

        hall.kill(mine)
        survivor = 1 - mine
        t_killed = time.monotonic()
        if killed == "dispatcher":  # the other process dispatches within 5 s
            lease = "SELECT holder FROM leases WHERE name='dispatcher'"
            alive = f":{hall.pids[survivor]}:"
            wait_store(home, lease, lambda r: r and alive in r[0][0], timeout_s=30)
            # within the lease's 5 s; the slack is this test's polling on a loaded machine
            assert time.monotonic() - t_killed < 5 + 5
        # the page reconnects by itself, through nginx, to the process left, and runs again
        assert p.evaluate("() => window.__wsOpened") == 1
        p.wait_for_function("() => window.__wsOpened >= 2", timeout=120_000)
        web.wait_idle(120_000)
        assert RUN.search(p.get_by_text(RUN).first.inner_text()).group(1) == run_id
        answered = p.request.get(hall.url + "/_stcore/health").headers["x-cnnviz-process"]
        assert hall.process_of(answered) == survivor
        if killed == "students":
            p.locator(".st-key-train_stop button").wait_for(timeout=120_000)
            assert store_rows(home, sql, (run_id,)) == owner  # still training where it was
            status = "SELECT status, stop_requested FROM runs WHERE run_id=?"
            for _ in range(3):  # a click that lands as the live view redraws is lost: again
                web.wait_idle(60_000)
                p.locator(".st-key-train_stop button").click()
                with contextlib.suppress(AssertionError):
                    wait_store(home, status, lambda r: r[0][1] or r[0][0] != "running",
                               (run_id,), timeout_s=30)  # fmt: skip
                    break
            wait_store(home, status, lambda r: r[0][0] == "stopped", (run_id,))
            p.get_by_text(re.compile("stopped", re.I)).first.wait_for(timeout=60_000)
        else:
            got = wait_store(home, "SELECT status, error FROM runs WHERE run_id=?",
                             lambda r: r[0][0] == "interrupted", (run_id,))  # fmt: skip
            assert got[0][1]  # with the reason
            p.get_by_text(re.compile("interrupted", re.I)).first.wait_for(timeout=120_000)
            # the run's view redraws as the page learns it ended: Stop goes with that redraw
            expect(p.locator(".st-key-train_stop")).to_have_count(0, timeout=60_000)
        web.screenshot(f"lecture_hall_after_{killed}_died")
        # nothing in the store was lost
        assert store_rows(home, "PRAGMA integrity_check") == [("ok",)]
        after = store_rows(home, "SELECT run_id, created, name, user_id FROM runs ORDER BY run_id")
        assert after == runs_before
        epochs_after = store_rows(home, "SELECT epoch FROM metrics WHERE run_id=?", (run_id,))
        assert set(epochs_before) <= set(epochs_after)
        # the frontend's own words while its process was gone: its live view's timer fired, and
        # a script or style it loads on first use was asked of the dead process (the page
        # above went on to show the run, so it recovered)
        gone = re.compile(
            r"Cannot send rerun backMessage when disconnected from server\.|"
            r"(?:Error: Unable to preload CSS|TypeError: Failed to fetch dynamically imported "
            r"module)[^\n]*/static/"
        )
        web.console_errors = [e for e in web.console_errors if not gone.match(e)]
        web.assert_clean()
    finally:
        context.close()
        hall.stop()
