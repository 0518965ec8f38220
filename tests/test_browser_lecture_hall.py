"""A lecture hall (two server processes over one store, nginx in front, as `make serve-class`
starts it) in Chromium and over HTTP: every browser sticks to one process, the page and its
websocket come through the proxy, uploads up to the app's limit reach the page's process and
bigger ones are refused with a message."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

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


def route_to(hall: LectureHall, i: int) -> str:
    """A routing cookie that nginx sends to app process ``i``."""
    for k in range(500):
        if process(hall, f"key{k}") == i:
            return f"key{k}"
    raise AssertionError(f"no routing key reaches process {i}")


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

    from cnnviz_testing.protocol import Session

    mb = upload_limit_mb()
    s = Session(hall.url.removeprefix("http://"), 120, cookies={"cnnviz_route": route_to(hall, 0)})
    other = route_to(hall, 1)

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

    at_limit, over, elsewhere = asyncio.run(open_and_upload())
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
        route = route_to(hall, i)
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
