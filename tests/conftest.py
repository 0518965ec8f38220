"""Shared fixtures: AppTest per page, a live server on a free loopback port, Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import settings

from cnnviz_testing import REPO
from cnnviz_testing.browser import (  # re-exported: the browser tests import them from here
    CHROMIUM,
    VIEWPORT,
    WENT_WRONG,
    PageWatch,
    launch_chromium,
)
from cnnviz_testing.server import StreamlitServer

# Property tests explore a fixed sequence of examples: a CI run is reproducible, and a failure
# found once is found again. (The examples still cover what random ones would.)
settings.register_profile("cnnviz", derandomize=True)
settings.load_profile("cnnviz")

TIERS = ("unit", "apptest", "browser", "slow")  # pyproject.toml describes each; `make check` runs
# the first two


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: an unmarked test is never just skipped
def pytest_collection_modifyitems(config, items):
    """Every test belongs to a tier: a test without one would run in `make test` only, and
    nobody would see it in the quick check. Fail the run on one (by module pytestmark)."""
    unmarked = [i.nodeid for i in items if not any(i.get_closest_marker(t) for t in TIERS)]
    if unmarked:
        listed = "\n  ".join(unmarked[:20])
        raise pytest.UsageError(
            f"{len(unmarked)} test(s) carry no tier marker ({', '.join(TIERS)}); add e.g. "
            f"`pytestmark = pytest.mark.unit` to the module:\n  {listed}"
        )


PAGES_DIR = REPO / "app_pages"
APPTEST_TIMEOUT = 120


def app_test(page: str):
    """An AppTest of one page file, run on its own (without app.py's router and sidebar), so
    a test sees what the page itself draws."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(PAGES_DIR / page), default_timeout=APPTEST_TIMEOUT)


def assert_clean(at) -> None:
    """No exception element and no error-boundary message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error if any(w in e.value for w in WENT_WRONG)]
    assert not errors, errors


def plotly_traces(at, key: str) -> list[dict]:
    """The traces of the page's Plotly chart whose widget key holds ``key`` ([] if none)."""
    import json

    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id:
            return json.loads(chart.proto.spec)["data"]
    return []


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


CLASS_SECRET = "class-pages-secret"  # the teacher's secret of the class pages' tests


@pytest.fixture
def class_store(monkeypatch):
    """The pages' run store (the manager's), the teacher's secret set to
    :data:`CLASS_SECRET`: what the class pages' AppTests open pages over."""
    from cnnviz.runs import get_manager

    monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", CLASS_SECRET)
    return get_manager().store


class Clock:
    """A clock the test moves: ``clock()`` is the time now, ``advance(s)`` moves it on."""

    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s


@pytest.fixture
def clock():
    return Clock()


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


def start_server(env_extra: dict[str, str], log_path: Path):
    """A server of the harness with the tests' defaults (run workers as processes, the run
    store in ``env_extra["CNNVIZ_HOME"]``): (process, base URL, the server for
    :func:`stop_server`)."""
    env = {"CNNVIZ_EXECUTOR": "process", **env_extra}
    server = StreamlitServer(env_extra.get("CNNVIZ_HOME"), env=env, log_path=log_path).start()
    return server.proc, server.url, server


def stop_server(proc, server: StreamlitServer) -> None:
    server.stop()


@pytest.fixture
def class_server(tmp_path):
    """A server of its own for a class in Chromium (its store under ``tmp_path/home``, the
    teacher's secret :data:`CLASS_SECRET`, three run workers for the class's runs):
    (base URL, the store's home)."""
    home = tmp_path / "home"
    env = {"CNNVIZ_HOME": str(home), "CNNVIZ_THREADS": "1", "CNNVIZ_WORKERS": "3",
           "CNNVIZ_TEACHER_SECRET": CLASS_SECRET}  # fmt: skip
    _, url, server = start_server(env, tmp_path / "server.log")
    yield url, home
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app served on a free loopback port with its own run store; yields the base URL."""
    home = tmp_path_factory.mktemp("server_home")
    _, url, server = start_server({"CNNVIZ_HOME": str(home)}, home / "server.log")
    yield url
    server.stop()


@pytest.fixture
def own_server(tmp_path):
    """A server of its own: an empty store (no other test's runs queued ahead) and one torch
    thread for training, which keeps a busy 2-core machine from thrashing."""
    env = {"CNNVIZ_HOME": str(tmp_path / "home"), "CNNVIZ_THREADS": "1"}
    _, url, server = start_server(env, tmp_path / "server.log")
    yield url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it).")
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def web(browser):
    context = browser.new_context(viewport=VIEWPORT)
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
