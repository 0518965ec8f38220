"""A classroom on one server: N simulated students speaking Streamlit's own websocket protocol.

The load benchmark of a class. For each ``--students`` N it starts a fresh server (``python -m
streamlit run app.py`` on a free loopback port, with its own ``CNNVIZ_HOME`` temp folder), opens
N sessions that speak the browser's protocol (no rendering), and has each student change a
widget every ``--every`` seconds for ``--minutes``. A fresh server per N, not one server with
sessions added: each N starts from the same warm baseline for memory per session, and the
sessions of the previous N (Streamlit keeps a closed session a while for a reconnect) are not
in its memory or CPU. It measures what the server can carry:

* **rerun latency**: from sending a widget change to the ``script_finished`` message of the
  rerun it caused, as the client sees it (median, p95, max over every change of the window);
* **server CPU**: the server process's CPU time over the window (``/proc/<pid>/stat``, every
  thread), as a share of one core and divided by the script runs of the window (CPU-ms per
  rerun: every run, the students' changes, the trainers' polls and full reruns, the Chromium
  pages' changes). The run workers (the default executor trains in worker processes, children
  of the server) are counted apart;
* **server memory**: RSS (``/proc/<pid>/status``) on start, after one warm-up visit, with every
  session open, at the end, and after the sessions closed; MB per session = (RSS with the
  sessions open − RSS after the warm-up) / sessions; RSS is sampled every 5 s to show it flat.

What a simulated student does, message by message, is :mod:`cnnviz_testing.protocol`'s
``Session``: the frontend's handshake, ``rerun_script`` messages with every widget's state, the
frontend's message cache, fragment reruns and their ``run_every`` timers. A change is done at
the first ``script_finished`` of a run that started after it was sent (not one stopped early
for a rerun). It counts as an error if it takes longer than ``--timeout``, if the connection
drops, if the rerun shows an exception, or if the lesson's chart is not in the rerun's deltas.
Students are closed-loop: each waits for its rerun before scheduling the next change (a
person waits for the page), at ``--every`` × (1 ± ``--jitter``) seconds, starting at a random
offset within the first interval, so they do not all click at once.

Not simulated: the static files of a page load (the JavaScript bundle, served by the same
server), components' iframes (the identity cookie's script: each simulated session is a new
visitor), and chart selections. The clients run in this process, one asyncio loop; its lag
is reported (``client lag``): when it is tens of ms, the load generator itself was short of
CPU and the latencies include some of that.

``--trainers K`` more sessions (on top of the N students) open the Training page, set a short
LeNet run in the form (``--train-subset``, ``--train-epochs``) and press Start, then poll the
run's view as a browser does (its fragment's ``run_every``); when a run ends they start the
next, so K runs train through the whole window (``CNNVIZ_WORKERS`` is set to K, so they train
at once). ``--browsers B`` real Chromium pages (Playwright with Debian's Chromium, through
benchmarks/browser_latency.py) change the same widget under the same load and time click →
updated chart.

``--server-cpus 0`` pins the server (every thread) to those CPUs, as the issue's measurement
did, and moves the run workers and this benchmark (its clients and Chromium) to the other
CPUs, so the server's core is its own. A shared machine still runs other work there: the
report gives the load average and how busy the server's CPUs were with other processes.

``--profile`` runs the server with a ``sitecustomize`` that profiles every thread with
cProfile, timed by each thread's CPU clock (``--profile-clock wall`` for elapsed time), from
the start of the window to the server's exit on SIGINT, and prints where a rerun's time goes:
the script threads (router, sidebar, page, figures, Streamlit's post-script collection) by
cumulative time per rerun, and the script and event-loop threads by own time.
``--profile-out DIR`` keeps the merged ``.prof`` files for ``pstats``. cProfile makes this
Python code about 3× slower (114 profiled ms against 33 CPU-ms per rerun here): read the
shares, not the latencies, of a profiled run, and profile a load the server is not saturated
by (N = 30).

``--processes K`` measures a lecture hall instead (:mod:`cnnviz.serve_class`, what ``make
serve-class PROCESSES=K`` starts): K server processes over one fresh store behind Debian's nginx,
the students (and trainers, and browsers) connecting to nginx, which spreads them over the
processes by the routing cookie it gives each new client (as a browser keeps it, the protocol
client keeps it for its websocket). Each process gets its warm-up visits; the server's CPU and
RSS are the K processes' together, and the proxy's CPU (nginx's master and worker) is reported
beside them (``proxy CPU``).

``--follow`` measures a class that follows the teacher instead (benchmarks/classroom_follow.py):
N seated students on Pooling follow one teacher, who changes the kernel size every
``--teacher-every`` s, while each student changes their own widget every ``--every`` s and
``--trainers`` seated students train; it reports how long a follower's page takes to show the
teacher's change, the students' own reruns, and the server's CPU while nobody moves.

``--app-dir DIR`` serves another checkout with this venv (a ``git archive`` of one commit, so
edits made in the working tree during a long run do not reach the server).

    .venv/bin/python benchmarks/classroom_load.py                           # 1 10 30 100, 2 min
    .venv/bin/python benchmarks/classroom_load.py --server-cpus 0 --trainers 2 --browsers 2
    .venv/bin/python benchmarks/classroom_load.py --students 30 --lessons xcorr pad pool
    .venv/bin/python benchmarks/classroom_load.py --students 30 --profile --server-cpus 0
    .venv/bin/python benchmarks/classroom_load.py --students 100 --minutes 30 --save soak.json
    .venv/bin/python benchmarks/classroom_load.py --processes 2 --students 200 --trainers 1

Goal (this 2-core machine): 100 students each changing a widget every 10 s with p95
≤ 250 ms while two student runs train; the largest N with p95 ≤ 500 ms; server memory ≤ 1.5 GB
+ 5 MB per session and flat over 30 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pstats
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import browser_latency as bl  # the browser path (this folder is on sys.path when run)
from websockets.exceptions import WebSocketException

from cnnviz.serve_class import LectureHall
from cnnviz_testing import REPO as ROOT
from cnnviz_testing.procs import cpu_busy, cpu_ms, descendants, pin, rss_mb
from cnnviz_testing.protocol import Result, Session, Widget, another_value
from cnnviz_testing.server import StreamlitServer

OPEN_TIMEOUT_S = 180  # a fresh server's first visit imports torch, pandas and plotly
SAMPLE_S = 5  # RSS and CPU sampling interval
STOP_WAIT_S = 30  # SIGINT → exit (the profile is written on exit)


@dataclass(frozen=True)
class Lesson:
    """A lesson page a student works on: the widget changed, and the chart that must return."""

    name: str
    page: str  # URL path (the page_name of the first rerun)
    key: str  # the widget's key
    chart: str  # a chart's key that every rerun must send again
    browser: str  # the same change in browser_latency.INTERACTIONS
    avoid: tuple[str, ...] = ()  # options a student does not pick (they open an editor)


LESSONS = {
    "xcorr": Lesson("xcorr", "cross_correlation", "xcorr_kernel_preset", "xcorr_out_chart",
                    "xcorr_preset", avoid=("Custom…",)),
    "pad": Lesson("pad", "padding_stride", "pad_kernel_h", "pad_output_chart", "pad_slider"),
    "pool": Lesson("pool", "pooling", "pool_mode", "pool_output", "pool_mode"),
}  # fmt: skip


# -- the server ---------------------------------------------------------------------------------

SITECUSTOMIZE = r'''
"""benchmarks/classroom_load.py --profile: cProfile in every thread of the Streamlit server.

Each thread gets its own profiler, timed by the thread's CPU clock (so waiting for the GIL or
a socket does not count). When a thread ends (a script thread: one or a few runs) its profile
is written to a file of its own, ``<bucket>-<window>-<n>.prof``, bucket "script"
(ScriptRunner threads) or "threads" (others); nothing accumulates in the server, so its
garbage collections walk no profiler data. The main thread (the event loop: websocket,
serialisation) has one profiler, written at exit (the benchmark stops the server with
SIGINT). SIGUSR1 starts a new window (the benchmark sends it when its window starts): threads
that began before it, and the main thread's profile so far, belong to the old one.
"""
import atexit, cProfile, itertools, os, signal, sys, threading, time

_OUT = os.environ.pop("CNNVIZ_CLASSROOM_PROFILE", None)  # popped: run workers stay unprofiled
if _OUT:
    _window = [0]
    _count = itertools.count()
    _CPU = os.environ.pop("CNNVIZ_CLASSROOM_CLOCK", "cpu") == "cpu"

    def _profiler():
        return cProfile.Profile(time.thread_time) if _CPU else cProfile.Profile()

    _main = [_profiler()]
    _orig = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        window = _window[0]
        prof = _profiler()
        prof.enable()
        try:
            _orig(self)
        finally:
            prof.disable()
            bucket = "script" if self.name.startswith("ScriptRunner") else "threads"
            path = os.path.join(_OUT, f"{bucket}-{window}-{next(_count)}.prof")
            try:
                prof.dump_stats(path)
            except OSError as exc:  # a lost profile must not stop the server
                sys.stderr.write(f"classroom_load profile: {exc!r}\\n")

    threading.Thread._bootstrap_inner = _bootstrap_inner

    def _new_window(signum, frame):
        _main[0].disable()
        _window[0] += 1
        _main[0] = _profiler()
        _main[0].enable()

    def _dump():
        _main[0].disable()
        _main[0].dump_stats(os.path.join(_OUT, f"main-{_window[0]}-0.prof"))

    signal.signal(signal.SIGUSR1, _new_window)
    atexit.register(_dump)
    _main[0].enable()
'''


class Server(StreamlitServer):
    """The harness's server with this benchmark's options: ``CNNVIZ_WORKERS`` for the
    trainers, ``--env``/``--server-arg``/``--app-dir``, the profiler, CPU pinning."""

    def __init__(self, args) -> None:
        env = {"CNNVIZ_WORKERS": str(max(1, args.trainers))}
        env.update(item.partition("=")[::2] for item in args.env)
        cpus = set(args.server_cpus) if args.server_cpus else None
        super().__init__(env=env, args=args.server_arg, app_dir=args.app_dir, cpus=cpus)
        self.profile = args.profile
        self.profile_dir: str | None = None
        self.known_children: set[int] = set()
        self.other_cpus = (set(range(os.cpu_count() or 1)) - cpus) if cpus else None
        if args.profile:
            site = self.home / "site"
            site.mkdir()
            (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
            self.profile_dir = str(self.home / "profile")
            Path(self.profile_dir).mkdir()
            self.env["PYTHONPATH"] = f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
            self.env["CNNVIZ_CLASSROOM_PROFILE"] = self.profile_dir
            self.env["CNNVIZ_CLASSROOM_CLOCK"] = args.profile_clock

    def children(self) -> list[int]:
        """The server's descendants; newly seen ones are moved off the server's CPUs."""
        kids = super().children()
        for k in kids:
            if k not in self.known_children and self.other_cpus:
                pin(k, self.other_cpus)
            self.known_children.add(k)
        return kids

    def reset_profile(self) -> None:
        if self.profile and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGUSR1)

    def rss(self) -> float | None:
        return rss_mb(self.pid)

    def cpu(self) -> float | None:
        return cpu_ms(self.pid)

    def proxy_cpu(self) -> float | None:
        return None

    def routes(self) -> list[str | None]:
        """The routing cookie of one warm-up visit per server process (none: one process)."""
        return [None]

    def stop(self) -> None:
        """SIGINT first: Streamlit shuts down and the profile is written on exit. The profile
        folder is read before :meth:`cleanup` removes the run store."""
        if self._tmp is not None:
            tmp, self._tmp = self._tmp, None  # kept until cleanup()
            super().stop(interrupt_wait_s=STOP_WAIT_S)
            self._tmp = tmp

    def cleanup(self) -> None:
        super().stop()


class Hall:
    """``--processes K``: a lecture hall (:mod:`cnnviz.serve_class`, as ``make serve-class``
    starts it) of K server processes over one fresh store, behind nginx; the students connect
    to nginx, which spreads them over the processes by its routing cookie. The server's RSS
    and CPU are the K processes' together; nginx's (master and worker) is the proxy's CPU."""

    def __init__(self, args) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="cnnviz_hall_home_")
        self.home = Path(self._tmp.name)
        env = {"CNNVIZ_HOME": str(self.home), "CNNVIZ_WORKERS": str(max(1, args.trainers))}
        env.update(item.partition("=")[::2] for item in args.env)
        self.hall = LectureHall(
            args.processes, port=0, env=env, app_dir=args.app_dir, log_dir=self.home / "logs",
            streamlit_args=tuple(args.server_arg),
        )  # fmt: skip
        self.host = self.hall.url.removeprefix("http://")
        self.cpus = None
        self.profile_dir = None

    @property
    def pid(self) -> int:
        return next(p for p in self.hall.pids if p is not None)

    def start(self) -> None:
        self.hall.start()

    def _pids(self) -> list[int]:
        return [p for p in self.hall.pids if p is not None]

    def rss(self) -> float | None:
        return sum(rss_mb(p) or 0 for p in self._pids()) or None

    def cpu(self) -> float | None:
        return sum(cpu_ms(p) or 0 for p in self._pids())

    def proxy_cpu(self) -> float | None:
        if self.hall.nginx is None:
            return None
        pids = [self.hall.nginx.pid, *descendants(self.hall.nginx.pid)]
        return sum(cpu_ms(p) or 0 for p in pids)

    def children(self) -> list[int]:
        """The run workers of every server process."""
        return [k for p in self._pids() for k in descendants(p)]

    def routes(self) -> list[str | None]:
        return [self.hall.route_to(i) for i in range(len(self.hall.ports))]

    def reset_profile(self) -> None:
        pass

    def log(self) -> str:
        logs = sorted((self.home / "logs").glob("*.log"))
        return "\n".join(f"{p.name}: {p.read_text()[-1500:]}" for p in logs)

    def stop(self) -> None:
        self.hall.stop()

    def cleanup(self) -> None:
        self._tmp.cleanup()


# -- students, trainers, browsers ----------------------------------------------------------------


@dataclass
class Level:
    """Everything measured at one N."""

    students: int
    changes: list[Result] = field(default_factory=list)
    opens: list[Result] = field(default_factory=list)
    trainer_clicks: list[Result] = field(default_factory=list)
    polls: list[Result] = field(default_factory=list)
    runs_started: int = 0
    runs_ended: int = 0
    browser: list[dict] = field(default_factory=list)
    browser_errors: list[str] = field(default_factory=list)
    reruns: int = 0  # script runs the protocol clients saw finish in the window
    sessions: list[Session] = field(default_factory=list)
    in_window: bool = False
    lag_ms: list[float] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def count_run(self) -> None:
        if self.in_window:
            self.reruns += 1

    def session(self, server: Server | Hall, args) -> Session:
        """A new client session, counted in this level's runs and cache hits."""
        s = Session(server.host, args.timeout, self.count_run)
        self.sessions.append(s)
        return s


async def student(
    i: int,
    lesson: Lesson,
    server: Server,
    args,
    level: Level,
    go: asyncio.Event,
    stop_at: list[float],
) -> None:
    """Open the lesson, wait for the window, then change its widget every ``--every`` s."""
    rng = random.Random(args.seed * 100_003 + i)
    s = level.session(server, args)
    try:
        await asyncio.sleep(i * args.ramp / max(1, args.n))
        for _ in range(3):  # a browser reconnects; so does a student
            res = await _open(s, lesson.page)
            level.opens.append(res)
            if res.ok:
                break
            await s.close()
            s = level.session(server, args)
        await go.wait()
        t_next = time.perf_counter() + rng.uniform(0, args.every)
        while True:
            await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
            if time.perf_counter() >= stop_at[0]:
                return
            if s.closed:  # the connection dropped: count it, open a new session
                level.changes.append(Result(0.0, False, "disconnected"))
                await s.close()
                s = level.session(server, args)
                level.opens.append(await _open(s, lesson.page))
            else:
                w = s.widget(lesson.key)
                if w is None:
                    res = Result(0.0, False, f"no widget {lesson.key}")
                else:
                    res = await s.change(lesson.key, another_value(w, rng, lesson.avoid))
                    if res.ok and lesson.chart not in res.keys:
                        res.ok, res.error = False, f"no chart {lesson.chart}"
                level.changes.append(res)
            interval = args.every * rng.uniform(1 - args.jitter, 1 + args.jitter)
            t_next = max(time.perf_counter(), t_next + interval)
    finally:
        await s.close()


async def _open(s: Session, page: str) -> Result:
    try:
        return await s.open(page)
    except (WebSocketException, OSError, TimeoutError) as exc:
        return Result(0.0, False, f"open failed: {exc!r}"[:200])


def _option(w: Widget, wanted: str) -> str | None:
    """The option of a selectbox whose label is ``wanted`` written with or without commas."""
    for o in w.element.options:
        if o.replace(",", "") == wanted.replace(",", ""):
            return o
    return None


async def trainer(
    i: int, server: Server, args, level: Level, go: asyncio.Event, stop_at: list[float]
) -> None:
    """Open the Training page, set a short LeNet run, press Start; poll its view while it
    trains (the fragment's run_every), and start the next when it ends."""
    s = level.session(server, args)
    try:
        res = await _open(s, "training")
        level.opens.append(res)
        if not res.ok:
            return
        for key, wanted in (("train_subset", str(args.train_subset)),
                            ("train_epochs", args.train_epochs)):  # fmt: skip
            w = s.widget(key)
            if w is None:
                level.trainer_clicks.append(Result(0.0, False, f"no widget {key}"))
                continue
            value = _option(w, wanted) if w.kind == "selectbox" else wanted
            if value is not None and value != w.value:
                level.trainer_clicks.append(await s.change(key, value))
        await go.wait()
        await asyncio.sleep(i * 1.0)
        while time.perf_counter() < stop_at[0]:
            await s.idle()
            res = await s.click("train_start")
            level.trainer_clicks.append(res)
            if not res.ok:
                await asyncio.sleep(5)
                continue
            level.runs_started += 1
            wait_until = time.perf_counter() + 30
            while not s.timers and time.perf_counter() < wait_until and not s.closed:
                await asyncio.sleep(0.1)  # the live view's fragment starts polling
            while s.timers and time.perf_counter() < stop_at[0] and not s.closed:
                await asyncio.sleep(0.2)
            if not s.timers:
                level.runs_ended += 1
            if s.closed:
                level.trainer_clicks.append(Result(0.0, False, "disconnected"))
                return
    finally:
        level.polls.extend(s.polls)
        await s.close()


# Added after browser_latency's script: when the page sent the change's BackMsg, so a browser
# change splits into click → send (the browser) and send → last message (server and transport).
SEND_JS = r"""
(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const w = window.__lat;
    if (w && w.start !== null && w.sent === undefined) w.sent = performance.now();
    return send.call(this, data);
  };
})();
"""


def browsers(server: Server, args, lesson: Lesson, level: Level, ready, go, done) -> None:
    """``--browsers`` Chromium pages (one browser, one context each), taking turns to change
    the lesson's widget, each about every ``--every`` seconds, timed by browser_latency."""
    it = next(i for i in bl.INTERACTIONS if i.name == lesson.browser)
    from playwright.sync_api import sync_playwright

    rng = random.Random(args.seed)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bl.CHROMIUM, args=bl.CHROMIUM_ARGS)
            try:
                tabs = []
                for k in range(args.browsers):
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    ctx.add_init_script(bl.INIT_JS)
                    ctx.add_init_script(SEND_JS)
                    t = bl.Target(name=f"browser{k}")
                    t.url, t.page = f"http://{server.host}", ctx.new_page()
                    t.page.set_default_timeout(OPEN_TIMEOUT_S * 1000)
                    bl.open_page(t, it)
                    tabs.append(t)
                ready.set()
                go.wait()
                k = 0
                while not done.is_set():
                    t = tabs[k % len(tabs)]
                    value = it.values[(k // len(tabs)) % len(it.values)]
                    try:
                        res = bl.change(t.page, it, value, server.pid)
                        w = t.page.evaluate("() => window.__lat")
                        sent = w.get("sent")
                        res["send_ms"] = None if sent is None else sent - w["start"]
                        level.browser.append(res)
                    except SystemExit as exc:  # browser_latency's way to say a change failed
                        level.browser_errors.append(str(exc)[:200])
                    k += 1
                    done.wait(
                        args.every / len(tabs) * rng.uniform(1 - args.jitter, 1 + args.jitter)
                    )
            finally:
                browser.close()
    except Exception as exc:  # noqa: BLE001 - a failed browser is reported, not a crash
        level.browser_errors.append(f"browsers stopped: {exc!r}"[:300])
    finally:
        ready.set()


async def monitor(server: Server, level: Level, stop: asyncio.Event) -> None:
    """Every SAMPLE_S: server RSS and the workers' RSS and CPU (workers are pinned off the
    server's CPUs as they appear); every 100 ms: this process's event-loop lag."""
    t0 = time.perf_counter()
    last = time.perf_counter()
    next_sample = 0.0
    while not stop.is_set():
        await asyncio.sleep(0.1)
        now = time.perf_counter()
        level.lag_ms.append(max(0.0, (now - last - 0.1) * 1000))
        last = now
        if now >= next_sample:
            next_sample = now + SAMPLE_S
            kids = server.children()
            level.samples.append({
                "t_s": round(now - t0, 1),
                "rss_mb": server.rss(),
                "workers_rss_mb": round(sum(rss_mb(k) or 0 for k in kids), 1),
                "workers_cpu_ms": {k: cpu_ms(k) for k in kids},
                "in_window": level.in_window,
            })  # fmt: skip


def _workerscpu_ms(samples: list[dict]) -> float:
    """CPU the run workers used within the window: per worker, last − first sample."""
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for s in samples:
        if not s["in_window"]:
            continue
        for pid, ms in s["workers_cpu_ms"].items():
            if ms is not None:
                first.setdefault(pid, ms)
                last[pid] = ms
    return sum(last[p] - first[p] for p in last)


async def measure(n: int, lessons: list[Lesson], args) -> Level:
    """One fresh server, N students (+ trainers, browsers), ``--minutes`` of changes."""
    args.n = n
    level = Level(n)
    server = Hall(args) if args.processes else Server(args)
    stop_monitor = asyncio.Event()
    mon: asyncio.Task | None = None
    b_ready, b_go, b_done = threading.Event(), threading.Event(), threading.Event()
    b_thread: threading.Thread | None = None
    try:
        _log(f"N={n}: starting the server on {server.host}")
        server.start()
        m = level.meta
        m["rss_start_mb"] = server.rss()
        # A warm-up visit: the first visit imports and caches what every page needs (one per
        # server process: nginx's routing cookie sends each to its process).
        pages = {lesson.page for lesson in lessons} | ({"training"} if args.trainers else set())
        for route in server.routes():
            for page in pages:
                s = Session(server.host, OPEN_TIMEOUT_S, cookies=route and {"cnnviz_route": route})
                res = await _open(s, page)
                await s.close()
                if not res.ok:
                    raise RuntimeError(f"the warm-up visit of /{page} failed: {res.error}\n"
                                       f"{server.log()}")  # fmt: skip
                m.setdefault("warmup_ms", {})[page] = round(res.ms)
        await asyncio.sleep(2)
        m["rss_warm_mb"] = server.rss()
        mon = asyncio.create_task(monitor(server, level, stop_monitor))
        if args.browsers:
            b_thread = threading.Thread(
                target=browsers, args=(server, args, lessons[0], level, b_ready, b_go, b_done),
                name="browsers", daemon=True,
            )  # fmt: skip
            b_thread.start()
        go = asyncio.Event()
        window_s = args.minutes * 60
        stop_at = [float("inf")]  # when clients stop sending: set as the window starts
        t_open = time.perf_counter()
        tasks = [
            asyncio.create_task(_client(student(i, lessons[i % len(lessons)], server, args,
                                                level, go, stop_at), level))
            for i in range(n)
        ] + [
            asyncio.create_task(_client(trainer(k, server, args, level, go, stop_at), level))
            for k in range(args.trainers)
        ]  # fmt: skip
        sessions = n + args.trainers + args.browsers
        while len(level.opens) < n + args.trainers and time.perf_counter() - t_open < 600:
            await asyncio.sleep(0.2)
        if b_thread is not None:
            await asyncio.to_thread(b_ready.wait, 600)
        await asyncio.sleep(3)  # trainers' first reruns, the sessions settle
        m["open_s"] = round(time.perf_counter() - t_open, 1)
        m["rss_open_mb"] = server.rss()
        m["sessions"] = sessions
        # The window.
        server.reset_profile()
        server.children()
        cpu0, t0, proxy0 = server.cpu(), time.perf_counter(), server.proxy_cpu()
        busy0 = cpu_busy(sorted(server.cpus)) if server.cpus else None
        m["load_avg_start"] = [round(x, 2) for x in os.getloadavg()]
        level.in_window = True
        stop_at[0] = t0 + window_s
        go.set()
        b_go.set()
        _log(f"N={n}: {sessions} sessions open ({m['open_s']} s); measuring {args.minutes} min")
        await asyncio.sleep(window_s)
        level.in_window = False
        b_done.set()
        cpu1, t1, proxy1 = server.cpu(), time.perf_counter(), server.proxy_cpu()
        busy1 = cpu_busy(sorted(server.cpus)) if server.cpus else None
        m["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        m["rss_end_mb"] = server.rss()
        m["window_s"] = round(t1 - t0, 1)
        m["server_cpu_ms"] = round(cpu1 - cpu0)
        if proxy0 is not None and proxy1 is not None:
            m["proxy_cpu_ms"] = round(proxy1 - proxy0)
        if busy0 and busy1:
            share = (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1]) * 100
            m["server_cpus_busy_pct"] = round(share, 1)
        # In-flight changes finish (or time out); then every session closes.
        await asyncio.wait(tasks, timeout=args.timeout + 30)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if b_thread is not None:
            await asyncio.to_thread(b_thread.join, 120)
        await asyncio.sleep(5)
        m["rss_closed_mb"] = server.rss()
    finally:
        b_done.set()
        b_go.set()
        stop_monitor.set()
        if mon is not None:
            await asyncio.gather(mon, return_exceptions=True)
        await asyncio.to_thread(server.stop)
        if args.profile and server.profile_dir:
            merged = merge_profiles(server.profile_dir)
            level.meta["profile"] = read_profile(merged)
            if args.profile_out:  # kept for pstats: script.prof, main.prof, threads.prof
                keep = Path(args.profile_out) / f"n{n}"
                keep.mkdir(parents=True, exist_ok=True)
                for bucket, stats in merged.items():
                    stats.dump_stats(str(keep / f"{bucket}.prof"))
        server.cleanup()
    m["workers_cpu_ms"] = round(_workerscpu_ms(level.samples))
    return level


async def _client(coro, level: Level) -> None:
    """Run one student or trainer; a bug in one client is counted, and the others go on."""
    try:
        await coro
    except Exception as exc:  # noqa: BLE001 - counted as an error, never a crash
        level.changes.append(Result(0.0, False, f"client error: {exc!r}"[:200]))
        _log("a client failed:\n" + traceback.format_exc())


# -- profile -------------------------------------------------------------------------------------


def _label(func: tuple[str, int, str]) -> str:
    path, line, name = func
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})" if line else name


# Waiting, not working: left out of the own-time ranking and of a thread's busy time.
IDLE = {
    "<method 'poll' of 'select.epoll' objects>",
    "<method 'acquire' of '_thread.lock' objects>",
    "<built-in method time.sleep>",
}


def merge_profiles(folder: str) -> dict[str, pstats.Stats]:
    """The window's per-thread profiles merged by bucket (script, main, threads)."""
    files: dict[str, list[Path]] = {}
    last = max((int(p.stem.split("-")[1]) for p in Path(folder).glob("*.prof")), default=0)
    for p in sorted(Path(folder).glob("*.prof")):
        bucket, window, _ = p.stem.split("-")
        if int(window) == last:
            files.setdefault(bucket, []).append(p)
    merged = {}
    for bucket, paths in files.items():
        stats = pstats.Stats(str(paths[0]), stream=io.StringIO())
        for path in paths[1:]:
            stats.add(str(path))
        merged[bucket] = stats
    return merged


def read_profile(stats: dict[str, pstats.Stats], top: int = 30) -> dict:
    """The merged profiles as ms per script run: the script threads by cumulative time (the
    rerun path), and the script and main threads together by own time, waiting left out."""
    out: dict = {}
    if "script" not in stats:
        out["error"] = f"no script-thread profile was written ({sorted(stats)})"
        return out
    runs = sum(
        nc for (path, _, name), (_, nc, *_rest) in stats["script"].stats.items()
        if name == "_run_script" and path.endswith("script_runner.py")
    )  # fmt: skip
    runs = max(1, runs)
    out["runs"] = runs
    rows = sorted(stats["script"].stats.items(), key=lambda kv: kv[1][3], reverse=True)
    rows = [(f, v) for f, v in rows if not f[0].endswith("threading.py")]
    out["script_cumulative"] = [
        {"ms_per_run": round(ct / runs * 1000, 2), "own_ms_per_run": round(tt / runs * 1000, 2),
         "calls_per_run": round(nc / runs, 1), "function": _label(f)}
        for f, (_, nc, tt, ct, _c) in rows[:top]
    ]  # fmt: skip
    own = []
    for bucket, st in stats.items():
        idle = sum(v[2] for f, v in st.stats.items() if _label(f) in IDLE)
        out[f"{bucket}_busy_ms_per_run"] = round((st.total_tt - idle) / runs * 1000, 2)
        own += [
            (tt, nc, bucket, f) for f, (_, nc, tt, _ct, _c) in st.stats.items()
            if _label(f) not in IDLE
        ]  # fmt: skip
    out["own_time"] = [
        {"thread": b, "own_ms_per_run": round(tt / runs * 1000, 2),
         "calls_per_run": round(nc / runs, 1), "function": _label(f)}
        for tt, nc, b, f in sorted(own, key=lambda r: r[0], reverse=True)[:top]
    ]  # fmt: skip
    return out


# -- report --------------------------------------------------------------------------------------


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def summarise(level: Level, args) -> dict:
    m = level.meta
    ok = [r.ms for r in level.changes if r.ok]
    errors: dict[str, int] = {}
    for r in level.changes + level.opens + level.trainer_clicks:
        if not r.ok:
            kind = r.error.split(":", 1)[0]
            errors[kind] = errors.get(kind, 0) + 1
    polls_ok = [r.ms for r in level.polls if r.ok]
    poll_errors = sum(1 for r in level.polls if not r.ok)
    reruns = level.reruns + len(level.browser)
    window = m.get("window_s") or 1
    rss_samples = [s["rss_mb"] for s in level.samples if s["rss_mb"] is not None]
    out = {
        "students": level.students,
        "trainers": args.trainers,
        "browsers": args.browsers,
        "sessions": m.get("sessions"),
        "changes": len(level.changes),
        "median_ms": round(statistics.median(ok)) if ok else None,
        "p95_ms": round(p95(ok)) if ok else None,
        "max_ms": round(max(ok)) if ok else None,
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "error_examples": sorted({r.error for r in level.changes if not r.ok})[:5],
        "open_median_ms": round(statistics.median([r.ms for r in level.opens if r.ok]))
        if any(r.ok for r in level.opens) else None,
        "reruns": reruns,
        "server_cpu_pct": round(m.get("server_cpu_ms", 0) / (window * 1000) * 100, 1),
        "cpu_ms_per_rerun": round(m.get("server_cpu_ms", 0) / max(1, reruns), 1),
        "workers_cpu_pct": round(m.get("workers_cpu_ms", 0) / (window * 1000) * 100, 1),
        "proxy_cpu_pct": round(m["proxy_cpu_ms"] / (window * 1000) * 100, 1)
        if "proxy_cpu_ms" in m else None,
        "proxy_cpu_ms_per_rerun": round(m["proxy_cpu_ms"] / max(1, reruns), 2)
        if "proxy_cpu_ms" in m else None,
        "server_cpus_busy_pct": m.get("server_cpus_busy_pct"),
        "rss_start_mb": _r(m.get("rss_start_mb")),
        "rss_warm_mb": _r(m.get("rss_warm_mb")),
        "rss_open_mb": _r(m.get("rss_open_mb")),
        "rss_end_mb": _r(m.get("rss_end_mb")),
        "rss_closed_mb": _r(m.get("rss_closed_mb")),
        "rss_max_mb": _r(max(rss_samples)) if rss_samples else None,
        "mb_per_session": round((m["rss_open_mb"] - m["rss_warm_mb"]) / m["sessions"], 2)
        if m.get("rss_open_mb") and m.get("rss_warm_mb") and m.get("sessions") else None,
        "workers_rss_mb_end": next((s["workers_rss_mb"] for s in reversed(level.samples)), None),
        "trainer_runs_started": level.runs_started,
        "trainer_runs_ended": level.runs_ended,
        "trainer_clicks_median_ms": round(statistics.median([r.ms for r in level.trainer_clicks
                                                             if r.ok]))
        if any(r.ok for r in level.trainer_clicks) else None,
        "polls": len(level.polls),
        "poll_median_ms": round(statistics.median(polls_ok)) if polls_ok else None,
        "poll_p95_ms": round(p95(polls_ok)) if polls_ok else None,
        "poll_errors": poll_errors,
        "browser_changes": len(level.browser),
        "browser_median_ms": round(statistics.median([b["ms"] for b in level.browser]))
        if level.browser else None,
        "browser_p95_ms": round(p95([b["ms"] for b in level.browser])) if level.browser else None,
        "browser_last_msg_median_ms": round(statistics.median(
            [b["last_msg_ms"] for b in level.browser if b["last_msg_ms"] is not None]))
        if any(b["last_msg_ms"] is not None for b in level.browser) else None,
        "browser_send_median_ms": _median([b["send_ms"] for b in level.browser]),
        "browser_send_to_last_msg_median_ms": _median(
            [b["last_msg_ms"] - b["send_ms"] for b in level.browser
             if b["last_msg_ms"] is not None and b["send_ms"] is not None]
        ),  # fmt: skip
        "browser_errors": level.browser_errors[:5],
        "client_lag_p95_ms": round(p95(level.lag_ms), 1) if level.lag_ms else None,
        "ref_hash_hits": sum(s.cache_hits for s in level.sessions),
        "bytes_per_change": round(statistics.median([r.bytes for r in level.changes if r.ok]))
        if ok else None,
        "messages_per_change": round(statistics.median([r.messages for r in level.changes
                                                        if r.ok]))
        if ok else None,
        **{k: m[k] for k in ("window_s", "open_s", "load_avg_start", "load_avg_end",
                             "warmup_ms") if k in m},
        "rss_timeline_mb": [(s["t_s"], _r(s["rss_mb"])) for s in level.samples],
    }  # fmt: skip
    if "profile" in m:
        out["profile"] = m["profile"]
    return out


def _median(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs)) if xs else None


def _r(x: float | None) -> float | None:
    return None if x is None else round(x)


def _f(x, unit: str = "") -> str:
    return "–" if x is None else f"{x:,}{unit}"


def print_report(rows: list[dict], args) -> None:
    lessons = ", ".join(LESSONS[name].key for name in args.lessons)
    pin = f"server pinned to CPU {args.server_cpus}" if args.server_cpus else "server not pinned"
    if args.processes:
        pin = (f"{args.processes} server processes behind nginx (server CPU: theirs together; "
               f"proxy CPU: nginx's)")  # fmt: skip
    print(f"\nClassroom load: each student changes {lessons} every {args.every} s "
          f"(±{args.jitter:.0%}) for {args.minutes} min; {args.trainers} training runs, "
          f"{args.browsers} Chromium pages; {os.cpu_count()} CPUs, {pin}.\n")  # fmt: skip
    print(
        "| students | median | p95 | max | server CPU % | CPU-ms per rerun | MB per session "
        "| errors |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['students']} | {_f(r['median_ms'], ' ms')} | {_f(r['p95_ms'], ' ms')} | "
              f"{_f(r['max_ms'], ' ms')} | {r['server_cpu_pct']}% | {r['cpu_ms_per_rerun']} | "
              f"{_f(r['mb_per_session'])} | {r['errors']} of {r['changes']} |")  # fmt: skip
    print(
        "\n| students | reruns | load avg (start → end) | server CPUs busy | workers CPU % "
        "| proxy CPU % | RSS start → warm → open → end → closed MB | client lag p95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        la = f"{r.get('load_avg_start', ['?'])[0]} → {r.get('load_avg_end', ['?'])[0]}"
        busy = _f(r["server_cpus_busy_pct"], "%")
        rss = " → ".join(_f(r[k]) for k in ("rss_start_mb", "rss_warm_mb", "rss_open_mb",
                                              "rss_end_mb", "rss_closed_mb"))  # fmt: skip
        proxy = _f(r["proxy_cpu_pct"], "%")
        print(f"| {r['students']} | {r['reruns']} | {la} | {busy} | {r['workers_cpu_pct']}% | "
              f"{proxy} | {rss} | {_f(r['client_lag_p95_ms'], ' ms')} |")  # fmt: skip
    if args.trainers or args.browsers:
        print(
            "\n| students | runs started / ended | training view polls: median, p95 "
            "(errors) | Chromium click → chart: median, p95 (server's last message) |"
        )
        print("|---|---|---|---|")
        for r in rows:
            polls = (f"{_f(r['poll_median_ms'], ' ms')}, {_f(r['poll_p95_ms'], ' ms')} "
                     f"({r['poll_errors']} of {r['polls']})")  # fmt: skip
            br = (f"{_f(r['browser_median_ms'], ' ms')}, {_f(r['browser_p95_ms'], ' ms')} "
                  f"({_f(r['browser_last_msg_median_ms'], ' ms')}); {r['browser_changes']} "
                  f"changes")  # fmt: skip
            print(f"| {r['students']} | {r['trainer_runs_started']} / "
                  f"{r['trainer_runs_ended']} | {polls} | {br} |")  # fmt: skip
    for r in rows:
        for what in ("errors_by_kind", "error_examples", "browser_errors"):
            if r[what]:
                print(f"\nN={r['students']} {what}: {r[what]}")
    if not args.profile:
        return
    for r in rows:
        prof = r.get("profile", {})
        if "error" in prof:
            print(f"\nProfile, N={r['students']}: {prof['error']}")
            continue
        print(
            f"\nProfile, N={r['students']}: {prof['runs']} script runs in the window; busy "
            f"ms per run: script threads {_f(prof.get('script_busy_ms_per_run'))}, main "
            f"thread (event loop) {_f(prof.get('main_busy_ms_per_run'))}, other threads "
            f"that ended {_f(prof.get('threads_busy_ms_per_run'))} (cProfile inflates all)."
        )
        print("\nScript threads by cumulative time:\n")
        print("| ms per run | own ms | calls per run | function |\n|---|---|---|---|")
        for row in prof["script_cumulative"]:
            print(
                f"| {row['ms_per_run']} | {row['own_ms_per_run']} | {row['calls_per_run']} "
                f"| {row['function']} |"
            )
        print("\nBy own time (waiting left out):\n")
        print("| thread | own ms per run | calls per run | function |\n|---|---|---|---|")
        for row in prof["own_time"]:
            print(
                f"| {row['thread']} | {row['own_ms_per_run']} | {row['calls_per_run']} | "
                f"{row['function']} |"
            )


def _log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--students",
        type=int,
        nargs="+",
        default=[1, 10, 30, 100],
        help="N values; each gets a fresh server",
    )
    ap.add_argument("--minutes", type=float, default=2.0, help="the measured window per N")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between a student's changes")
    ap.add_argument("--jitter", type=float, default=0.3, help="± share of --every, at random")
    ap.add_argument(
        "--lessons",
        nargs="+",
        default=["xcorr"],
        choices=sorted(LESSONS),
        help="lesson pages, given to students in turn",
    )
    ap.add_argument(
        "--trainers",
        type=int,
        default=0,
        help="extra sessions that keep a short LeNet run training",
    )
    ap.add_argument("--train-subset", type=int, default=10000, help="a trainer's run: examples")
    ap.add_argument("--train-epochs", type=int, default=2, help="a trainer's run: epochs")
    ap.add_argument("--browsers", type=int, default=0, help="Chromium pages (0–3)")
    ap.add_argument(
        "--server-cpus",
        type=int,
        nargs="*",
        default=None,
        help="pin the server to these CPUs (workers and clients get the others)",
    )
    ap.add_argument("--ramp", type=float, default=10.0, help="seconds over which sessions open")
    ap.add_argument("--timeout", type=float, default=60.0, help="a change slower than this fails")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    ap.add_argument(
        "--app-dir", type=Path, default=ROOT,
        help="the checkout to serve (e.g. a `git archive` of one commit), with this venv",
    )  # fmt: skip
    ap.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="a `streamlit run` option, e.g. --server-arg=--runner.postScriptGC=false",
    )
    ap.add_argument(
        "--processes", type=int, default=0,
        help="K ≥ 1: a lecture hall (make serve-class) of K server processes behind nginx, the "
             "students through nginx; 0 (the default): one server, the students straight to it",
    )  # fmt: skip
    ap.add_argument("--profile", action="store_true", help="cProfile the server's threads")
    ap.add_argument(
        "--profile-clock", choices=("cpu", "wall"), default="cpu",
        help="cpu: each thread's CPU time (where the cores go); wall: elapsed time (with waits)",
    )  # fmt: skip
    ap.add_argument("--profile-out", help="a folder to keep the .prof files in (pstats)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the tables")
    ap.add_argument("--save", help="also write the JSON to this file")
    ap.add_argument(
        "--follow", action="store_true",
        help="a class that follows the teacher on Pooling (benchmarks/classroom_follow.py)",
    )  # fmt: skip
    ap.add_argument("--teacher-every", type=float, default=10.0, help="--follow: s between "
                    "the teacher's changes")  # fmt: skip
    ap.add_argument("--idle-s", type=float, default=30.0, help="--follow: the idle phase, s")
    args = ap.parse_args()
    if args.processes and (args.profile or args.server_cpus):
        raise SystemExit("--processes: --profile and --server-cpus are for one server process")
    if args.browsers and not Path(bl.CHROMIUM).exists():
        raise SystemExit("--browsers needs Debian's chromium (make test installs it).")
    if args.server_cpus:
        bad = set(args.server_cpus) - set(range(os.cpu_count() or 1))
        if bad or len(args.server_cpus) >= (os.cpu_count() or 1):
            raise SystemExit(f"--server-cpus {args.server_cpus}: name some, not all, of CPUs "
                             f"0–{(os.cpu_count() or 1) - 1}")  # fmt: skip
        # This process (and the Chromium it starts) leaves the server's CPUs to the server.
        others = set(range(os.cpu_count() or 1)) - set(args.server_cpus)
        pin(os.getpid(), others)
    lessons = [LESSONS[name] for name in args.lessons]
    if args.follow:  # the class follows the teacher: a scenario of its own
        import classroom_follow

        args.env = [*args.env, f"CNNVIZ_TEACHER_SECRET={classroom_follow.SECRET}"]
        rows = [asyncio.run(classroom_follow.measure(n, args)) for n in args.students]
        if args.save:
            Path(args.save).write_text(json.dumps({"follow": rows}, indent=1))
        classroom_follow.print_report(rows)
        return
    rows = []
    for n in args.students:
        try:
            level = asyncio.run(measure(n, lessons, args))
        except RuntimeError as exc:
            _log(f"N={n}: {exc}")
            continue
        rows.append(summarise(level, args))
        r = rows[-1]
        _log(f"N={n}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms, CPU "
             f"{r['server_cpu_pct']}%, {r['errors']} errors")  # fmt: skip
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "server_cpus": args.server_cpus,
        "every_s": args.every,
        "minutes": args.minutes,
        "lessons": args.lessons,
        "trainers": args.trainers,
        "browsers": args.browsers,
        "profile": args.profile,
        "processes": args.processes,
        "env": args.env,
        "app_dir": str(args.app_dir),
        "server_args": args.server_arg,
    }
    if args.save:
        Path(args.save).write_text(json.dumps({"meta": meta, "levels": rows}, indent=1))
    if args.json:
        print(json.dumps({"meta": meta, "levels": rows}, indent=1))
    else:
        print_report(rows, args)


if __name__ == "__main__":
    main()
