"""``classroom_load.py --follow``: a class that follows the teacher, at the protocol level.

For each N: a fresh server (the teacher secret set), a class opened in its store, N seated
students who follow the teacher on Pooling (switched on in the store, as their switch does),
one teacher session, and ``--trainers`` seated students keeping short runs training. Every
client is a :class:`cnnviz_testing.protocol.Session` with the identity cookie a browser would
hold (signed with the store's key), so each is its seat, as in a browser.

1. **Idle** (``--idle-s``): nobody moves and nothing trains; the followers' pages stay open
   (the server's watcher reads the teacher's row every ``ui.follow.WATCH_S``; no page polls
   and none reruns). The server's CPU share here is what following costs while the teacher
   stays.
2. **The window** (``--minutes``): the teacher changes Pooling's kernel size every
   ``--teacher-every`` seconds; each student changes their own widget (the mode) every
   ``--every`` seconds, as in the classroom benchmark; the trainers train.

Measured:

* **follow latency**: from the teacher's change being sent to the moment a follower's page
  holds the new kernel size (the slider's value in the deltas the follower received; checked
  every 10 ms), over every follower and every teacher change; a follower that has not moved
  when the next change comes counts as missed;
* **own reruns**: the students' own changes, sent → ``script_finished`` (as classroom_load);
* **polls**: fragment runs of the followers' pages, if any (none: the watcher reruns a page
  only to move it), and the server's CPU per phase.

Targets (issue, 2-core machine, one server core): follow p95 ≤ 1 s; own reruns p95 ≤ 250 ms
while two runs train.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from collections import deque
from pathlib import Path

import classroom_load as cl

from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User, new_user_id, sign
from cnnviz.follow import Follow
from cnnviz.runs import RunStore
from cnnviz_testing.procs import cpu_ms, rss_mb
from cnnviz_testing.protocol import Result, Session, another_value

SECRET = "classroom-load-follow-secret"  # the teacher secret of the benchmark's server
LESSON = cl.LESSONS["pool"]  # the students' own change: Pooling's mode
KERNEL = "pool_kernel_size"
CHECK_S = 0.01


class FollowLevel(cl.Level):
    """A level whose sessions carry seated identities (students and trainers alike)."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.cookies: deque[dict] = deque()
        self.follow_ms: list[float] = []
        self.missed = 0
        self.teacher_changes: list[Result] = []
        self.idle: dict = {}

    def session(self, server, args) -> Session:
        cookies = self.cookies.popleft() if self.cookies else None
        s = Session(server.host, args.timeout, self.count_run, cookies=cookies)
        self.sessions.append(s)
        return s


def _kernel(s: Session) -> int | None:
    w = s.widget(KERNEL)
    if w is None or not w.value:
        return None
    return int(w.value[0])


async def follower(i: int, server, args, level: FollowLevel, go, stop_at, opened) -> None:
    """Open Pooling as a seated, following student; in the window, change the mode every
    ``--every`` s (closed loop, as classroom_load's students)."""
    rng = random.Random(args.seed * 100_003 + i)
    s = level.session(server, args)
    opened.append(s)
    try:
        await asyncio.sleep(i * args.ramp / max(1, args.n))
        level.opens.append(await cl._open(s, LESSON.page))
        await go.wait()
        t_next = time.perf_counter() + rng.uniform(0, args.every)
        while True:
            await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
            if time.perf_counter() >= stop_at[0] or s.closed:
                return
            w = s.widget(LESSON.key)
            if w is None:
                res = Result(0.0, False, f"no widget {LESSON.key}")
            else:
                res = await s.change(LESSON.key, another_value(w, rng, LESSON.avoid))
                if res.ok and LESSON.chart not in res.keys:
                    res.ok, res.error = False, f"no chart {LESSON.chart}"
            level.changes.append(res)
            t_next = max(time.perf_counter(), t_next + args.every * rng.uniform(0.7, 1.3))
    finally:
        await s.close()


async def teacher(server, args, level: FollowLevel, cookies: dict, go, stop_at, followers):
    """Change Pooling's kernel size every ``--teacher-every`` s; time each follower's move."""
    s = Session(server.host, args.timeout, level.count_run, cookies=cookies)
    rng = random.Random(args.seed)
    try:
        res = await cl._open(s, LESSON.page)
        if not res.ok:
            raise RuntimeError(f"the teacher's page did not open: {res.error}")
        await go.wait()
        while time.perf_counter() < stop_at[0] - args.teacher_every / 2:
            now_k = _kernel(s) or 3
            k = rng.choice([v for v in range(2, 7) if v != now_k])
            t0 = time.perf_counter()
            change = asyncio.create_task(s.change(KERNEL, [float(k)]))
            waiting = {id(f): f for f in followers if not f.closed}
            deadline = t0 + args.teacher_every
            while waiting and time.perf_counter() < deadline:
                await asyncio.sleep(CHECK_S)
                for key, f in list(waiting.items()):
                    if _kernel(f) == k:
                        level.follow_ms.append((time.perf_counter() - t0) * 1000)
                        del waiting[key]
            level.missed += len(waiting)
            level.teacher_changes.append(await change)
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
    finally:
        await s.close()


def _pct(ms: float, seconds: float) -> float:
    return round(ms / (seconds * 1000) * 100, 1)


async def measure(n: int, args) -> dict:
    """One fresh server: the class, the followers, the idle phase, then the window."""
    args.n = n
    level = FollowLevel(n)
    server = cl.Server(args)
    stop_monitor = asyncio.Event()
    mon = None
    tasks: list[asyncio.Task] = []
    try:
        cl._log(f"follow N={n}: starting the server on {server.host}")
        server.start()
        for page in (LESSON.page, "training"):  # the warm-up visits (imports, caches, the key)
            warm = Session(server.host, cl.OPEN_TIMEOUT_S)
            res = await cl._open(warm, page)
            await warm.close()
            if not res.ok:
                raise RuntimeError(f"warm-up of /{page} failed: {res.error}\n{server.log()}")
        store = RunStore(server.home)
        key = store.secret_key()
        from ui.identity import cookie_names

        id_cookie, teacher_cookie = cookie_names(key)
        lead = User(new_user_id(), TEACHER)
        token = store.issue_teacher_token(lead.id, SECRET, 8 * 3600)
        classes = Classes(store, seats_per_address=n + args.trainers + 10)
        session = classes.open_class(lead)
        follow = Follow(store)
        for i in range(n + args.trainers):
            uid = new_user_id()
            seat = classes.join(uid, session.code, f"Student {i + 1}", "127.0.0.1")
            if i < n:  # the students follow; the trainers work on their own
                follow.start(seat.seat_id, seat.class_id, None)
            level.cookies.append({id_cookie: sign(uid, key)})
        m = level.meta
        m["rss_warm_mb"] = rss_mb(server.pid)
        mon = asyncio.create_task(cl.monitor(server, level, stop_monitor))
        go, stop_at, followers = asyncio.Event(), [float("inf")], []
        teacher_cookies = {id_cookie: sign(lead.id, key), teacher_cookie: token}
        lead_task = teacher(server, args, level, teacher_cookies, go, stop_at, followers)
        tasks.append(asyncio.create_task(cl._client(lead_task, level)))
        await asyncio.sleep(3)  # the teacher's page has published its location
        t_open = time.perf_counter()
        tasks += [
            asyncio.create_task(cl._client(
                follower(i, server, args, level, go, stop_at, followers), level))
            for i in range(n)
        ]  # fmt: skip
        while len(level.opens) < n and time.perf_counter() - t_open < 600:
            await asyncio.sleep(0.2)
        m["open_s"] = round(time.perf_counter() - t_open, 1)
        m["sessions"] = n + 1 + args.trainers
        # 1. idle: every follower polls, nobody moves, nothing trains
        polls0 = sum(len(s.polls) for s in followers)
        cpu0, t0 = cpu_ms(server.pid), time.perf_counter()
        await asyncio.sleep(args.idle_s)
        idle_s = time.perf_counter() - t0
        polls = sum(len(s.polls) for s in followers) - polls0
        level.idle = {
            "seconds": round(idle_s, 1),
            "server_cpu_pct": _pct(cpu_ms(server.pid) - cpu0, idle_s),
            "polls": polls,
            "cpu_ms_per_poll": round((cpu_ms(server.pid) - cpu0) / polls, 2) if polls else None,
            "followers_at_teacher": sum(1 for s in followers if _kernel(s) is not None),
        }
        # 2. the window: the trainers start, the teacher moves, the students work
        tasks += [
            asyncio.create_task(cl._client(cl.trainer(k, server, args, level, go, stop_at),
                                           level))
            for k in range(args.trainers)
        ]  # fmt: skip
        while len(level.opens) < n + args.trainers and time.perf_counter() - t_open < 900:
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)
        polls0 = sum(len(s.polls) for s in followers)
        server.reset_profile()  # --profile: the window only
        cpu0, t0 = cpu_ms(server.pid), time.perf_counter()
        m["load_avg_start"] = [round(x, 2) for x in os.getloadavg()]
        level.in_window = True
        stop_at[0] = t0 + args.minutes * 60
        go.set()
        await asyncio.sleep(args.minutes * 60)
        level.in_window = False
        m["window_s"] = round(time.perf_counter() - t0, 1)
        m["server_cpu_ms"] = round(cpu_ms(server.pid) - cpu0)
        m["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        m["window_polls"] = sum(len(s.polls) for s in followers) - polls0
        await asyncio.wait(tasks, timeout=args.timeout + 30)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop_monitor.set()
        if mon is not None:
            await asyncio.gather(mon, return_exceptions=True)
        await asyncio.to_thread(server.stop)
        if args.profile and server.profile_dir:
            merged = cl.merge_profiles(server.profile_dir)
            level.meta["profile"] = cl.read_profile(merged)
            if args.profile_out:  # kept for pstats: script.prof, main.prof, threads.prof
                keep = Path(args.profile_out) / f"follow_n{n}"
                keep.mkdir(parents=True, exist_ok=True)
                for bucket, stats in merged.items():
                    stats.dump_stats(str(keep / f"{bucket}.prof"))
        try:  # the server's log outlives its store: read it when a number looks wrong
            keep = Path(tempfile.gettempdir()) / f"classroom_follow_n{n}.log"
            keep.write_text(server.log(tail=200_000))
            level.meta["server_log"] = str(keep)
        except OSError:
            pass
        server.cleanup()
    return summarise(level, args)


def summarise(level: FollowLevel, args) -> dict:
    m = level.meta
    own = [r.ms for r in level.changes if r.ok]
    polls = [r.ms for s in level.sessions for r in s.polls if r.ok]
    follow = level.follow_ms
    window = m.get("window_s") or 1
    return {
        "students": level.students,
        "trainers": args.trainers,
        "teacher_changes": len(level.teacher_changes),
        "follow_moves": len(follow),
        "follow_missed": level.missed,
        "follow_median_ms": round(statistics.median(follow)) if follow else None,
        "follow_p95_ms": round(cl.p95(follow)) if follow else None,
        "follow_max_ms": round(max(follow)) if follow else None,
        "own_changes": len(level.changes),
        "own_errors": sum(1 for r in level.changes if not r.ok),
        "own_error_examples": sorted({r.error for r in level.changes if not r.ok})[:5],
        "own_median_ms": round(statistics.median(own)) if own else None,
        "own_p95_ms": round(cl.p95(own)) if own else None,
        "poll_median_ms": round(statistics.median(polls)) if polls else None,
        "poll_p95_ms": round(cl.p95(polls)) if polls else None,
        "trainer_runs_started": level.runs_started,
        "server_cpu_pct": _pct(m.get("server_cpu_ms", 0), window),
        "idle": level.idle,
        "window_polls": m.get("window_polls"),
        "client_lag_p95_ms": round(cl.p95(level.lag_ms), 1) if level.lag_ms else None,
        **{
            k: m[k]
            for k in (
                "window_s",
                "open_s",
                "load_avg_start",
                "load_avg_end",
                "server_log",
                "profile",
            )
            if k in m
        },
    }


def print_report(rows: list[dict]) -> None:
    for r in rows:
        idle = r["idle"]
        print(
            f"follow, N={r['students']} (+{r['trainers']} training, 1 teacher): "
            f"follow median {r['follow_median_ms']} ms, p95 {r['follow_p95_ms']} ms, max "
            f"{r['follow_max_ms']} ms over {r['follow_moves']} moves "
            f"({r['teacher_changes']} teacher changes, {r['follow_missed']} missed); own "
            f"reruns median {r['own_median_ms']} ms, p95 {r['own_p95_ms']} ms over "
            f"{r['own_changes']} ({r['own_errors']} errors); polls median "
            f"{r['poll_median_ms']} ms, p95 {r['poll_p95_ms']} ms; server CPU "
            f"{r['server_cpu_pct']}% of a core in the window, {idle.get('server_cpu_pct')}% "
            f"while idle ({idle.get('polls')} polls in {idle.get('seconds')} s, "
            f"{idle.get('cpu_ms_per_poll')} CPU-ms each); load average "
            f"{r.get('load_avg_start')} → {r.get('load_avg_end')}"
        )
