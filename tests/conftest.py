"""Shared fixtures: AppTest per page, a live server on a free loopback port, Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore a fixed sequence of examples: a CI run is reproducible, and a failure
# found once is found again. (The examples still cover what random ones would.)
settings.register_profile("cnnviz", derandomize=True)
settings.load_profile("cnnviz")

REPO = Path(__file__).resolve().parents[1]
PAGES_DIR = REPO / "app_pages"
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
APPTEST_TIMEOUT = 120


def app_test(page: str):
    """An AppTest of one page file, run on its own as STYLE.md asks."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(PAGES_DIR / page), default_timeout=APPTEST_TIMEOUT)


WENT_WRONG = ("Something went wrong", "문제가 생겼습니다")  # the error boundary, both languages


def assert_clean(at) -> None:
    """No exception element and no error-boundary message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error if any(w in e.value for w in WENT_WRONG)]
    assert not errors, errors


def metrics(at) -> dict[str, str]:
    """The page's metrics, label → value, in page order."""
    return {m.label: m.value for m in at.metric}


def codes(at) -> str:
    """Every code block on the page, joined by newlines."""
    return "\n".join(c.value for c in at.code)


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory, monkeypatch):
    """Every test gets its own run store, so nothing is left in the user's. AppTests train in
    threads of the test process (a worker process per test would cost seconds each); servers
    started for the browser tests use the app's default, worker processes."""
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path_factory.mktemp("cnnviz_home")))
    monkeypatch.setenv("CNNVIZ_EXECUTOR", "thread")


@pytest.fixture
def one_torch_thread():
    """One torch thread: deterministic and fast on a shared 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A finished 3-epoch LeNet run (256 examples) in a store of its own:
    (store, run_id, the bytes of its checkpoint: a portable run file)."""
    import torch

    from cnnviz.models import PRESETS
    from cnnviz.runs import RunManager, RunStore
    from cnnviz.train import RunConfig

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    store = RunStore(tmp_path_factory.mktemp("trained_run"))
    manager = RunManager(store)
    config = RunConfig(PRESETS["LeNet"], num_epochs=3, limit=256, val_limit=128)
    run_id = manager.submit(config, name="class demo", group="g1", preset="LeNet")
    assert manager.wait(run_id, 180) == "finished"
    manager.shutdown()
    torch.set_num_threads(before)
    return store, run_id, store.checkpoint_path(run_id).read_bytes()


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """Fashion-MNIST unavailable from every source."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CNNVIZ_DATA", str(empty))
    monkeypatch.setenv("CNNVIZ_SYSTEM_DATA", str(empty))
    monkeypatch.setenv("CNNVIZ_DOWNLOAD", "0")
    return empty


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env_extra: dict[str, str], log_path: Path):
    port = _free_port()
    env = {**os.environ, "CNNVIZ_EXECUTOR": "process", **env_extra, "PYTHONUNBUFFERED": "1"}
    log = open(log_path, "w")  # noqa: SIM115 - closed by stop_server
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start: {log_path.read_text()}")


def stop_server(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app served on a free loopback port with its own run store; yields the base URL."""
    home = tmp_path_factory.mktemp("server_home")
    proc, url, log = start_server({"CNNVIZ_HOME": str(home)}, home / "server.log")
    yield url
    stop_server(proc, log)


@pytest.fixture
def own_server(tmp_path):
    """A server of its own: an empty store (no other test's runs queued ahead) and one torch
    thread for training, which keeps a busy 2-core machine from thrashing."""
    env = {"CNNVIZ_HOME": str(tmp_path / "home"), "CNNVIZ_THREADS": "1"}
    proc, url, log = start_server(env, tmp_path / "server.log")
    yield url
    stop_server(proc, log)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """A Playwright page plus the console errors it logged."""

    def __init__(self, page):
        self.page = page
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
        A rerun arriving just then (a live run's refresh, the first visit's second run) can
        close the list that was opened: open it again."""
        choice = self.page.get_by_role("option").filter(has_text=option)
        for _ in range(tries):
            self.page.locator(f".st-key-{key} [data-testid=stSelectbox]").click()
            try:
                choice.first.wait_for(timeout=5_000)
                break
            except Exception:  # noqa: BLE001 - closed by a rerun: wait, then open it again
                self.wait_idle()
        choice.first.click()

    def wait_idle(self, timeout: float = 60_000) -> None:
        """Wait until Streamlit has run the script and stays idle.

        A fresh server's first run ends in a rerun (ui/router.py), so one glimpse of
        "notRunning" can come between the two runs, before anything is drawn: idle counts only
        when the main area has content and the state still reads idle a moment later.
        """
        p = self.page
        p.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
        idle = (
            "() => document.querySelector("
            "'[data-testid=stApp][data-test-script-state=notRunning]') !== null && "
            "document.querySelector('[data-testid=stMain] [data-testid=stElementContainer]')"
            " !== null"
        )
        deadline = time.monotonic() + timeout / 1000
        while True:
            p.wait_for_timeout(300)
            left = max(1_000, (deadline - time.monotonic()) * 1000)
            p.wait_for_function(idle, timeout=left)
            p.wait_for_timeout(400)
            if p.evaluate(idle) or time.monotonic() > deadline:
                return

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
            self.page.wait_for_timeout(400)
        self.page.screenshot(path=str(path), full_page=True)
        if size:
            self.page.set_viewport_size(size)
        return path


@pytest.fixture
def web(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page)
    yield watch
    context.close()


def plotly_array(value):
    """A figure's array as Plotly's JSON holds it: a list, or a typed array in base64."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return (
            a.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else a
        )
    return np.asarray(value)


def tiny_config(**kw):
    """A LeNet run of seconds (256 examples, 2 epochs): what the run-machinery tests train."""
    from cnnviz.models import PRESETS
    from cnnviz.train import RunConfig

    base = {"spec": PRESETS["LeNet"], "num_epochs": 2, "limit": 256, "val_limit": 128}
    return RunConfig(**{**base, **kw})


def wait_for(cond, timeout: float = 120.0, step: float = 0.05) -> bool:
    """Poll ``cond()`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    raise AssertionError("condition not reached")
