"""Does watching a run slow it down? A LeNet run on the full data, trained by the
app's worker process, watched on the Training page in Chromium, against the same run with no
page open; meanwhile a second browser changes the Cross-correlation kernel preset and times its
re-render; and the time from Start to the first curve point with a warm worker.

One server (``streamlit run app.py``, the default process executor) with its own run store.
Browser A opens the Training page, waits for the worker to be warm, then per round:

* **first point**: a short run started on the page (1 epoch, 10,000 examples); the time from the
  click on Start until the page shows the run's first progress (the curve's first point and
  the "Epoch 1 of … · batch" line arrive in the same rerun), measured in Python around the
  click (so it includes Playwright's own round trip of a few ms);
* **unwatched**: the full-data run started on the page, then browser A leaves for
  ``about:blank``: nobody watches; the run's examples/s come from the store;
* **watched**: the same run, browser A stays on the page (its chart refreshes every second),
  and browser B changes the kernel preset on Cross-correlation every ``--every`` seconds until
  the run ends, each change timed as ``benchmarks/browser_latency.py`` times it (input event
  to the frame that shows the new chart, the app idle).

Rounds alternate unwatched and watched, so a machine whose speed drifts slows both alike; the
ratio is per round. Goals: watched ≥ 90% of unwatched; B's median re-render ≤ 300 ms; the first
point ≤ 1 s after Start.

By default everything shares the machine's cores: the server, the run's worker process and
both Chromium pages (on a 2-core machine the browsers then take CPU from the run, which the
students' own laptops would not). ``--separate`` gives the worker a core of its own: this
benchmark, Chromium and the server are pinned to the first CPU, the worker process (found
among the server's children) to the others; it models a class, where the browsers run
elsewhere and the server's cores are shared only by the server and its runs.

    .venv/bin/python benchmarks/watched_bench.py [--rounds 2] [--epochs 2] [--threads N]
        [--subset 60,000]
    .venv/bin/python benchmarks/watched_bench.py --separate

``--baseline REV`` times another version of the app beside this one, in the same sitting: the
commit ``REV`` is unpacked (``git archive``) into a temporary folder and served by a second
server with this interpreter; each round runs both trees' unwatched and watched runs, the
order turning each round, and the report gives each tree's ratio and the difference. Each
tree's store is read with SQL (its runs, their status and per-epoch examples/s, the worker's
speed test), so an older store is read as it is, never migrated by this tree's library. On a
machine whose speed drifts from day to day, this is how "not below the ratio it had" is
checked: against the old code measured now, not against a number from another day.

    .venv/bin/python benchmarks/watched_bench.py --rounds 6 --baseline c066ece

``--watch page`` keeps only browser A (it watches; B stays idle), ``--watch lesson`` only
browser B (it changes its lesson; nobody watches the run): what each costs the run alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import browser_latency as BL  # this folder is on sys.path when run

from cnnviz.estimates import SPEED_KEY
from cnnviz.runs import HOST
from cnnviz_testing import REPO
from cnnviz_testing.browser import VIEWPORT, launch_chromium, wait_idle
from cnnviz_testing.procs import children_running, cpu_ms, pin

XCORR = next(i for i in BL.INTERACTIONS if i.name == "xcorr_preset")
# The new run's first progress (its curve's first point comes in the same rerun), or its end
# if it was over before the page looked: the view shows the run's id, then either.
PROGRESS_JS = (
    "(rid) => { const t = document.body.innerText; return t.includes(rid) && "
    "(t.includes(' · batch ') || /Epochs done: [1-9]/.test(t)); }"
)


def set_form(page, epochs: int, subset: str) -> None:
    """The Training page's form: epochs (typed) and the subset size (picked)."""
    box = page.locator(".st-key-train_epochs input")
    box.fill(str(epochs))
    box.press("Enter")
    wait_idle(page, 90_000)
    page.locator(".st-key-train_subset [data-testid=stSelectbox]").click()
    page.get_by_role("option", name=subset, exact=True).click()
    wait_idle(page, 90_000)


class Store:
    """A served tree's run store, read with SQL: the runs, their status and per-epoch speed,
    the worker's speed test. Only columns every schema version has are read, and nothing is
    written, so a baseline's older store is read as it is."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "runs.sqlite"

    def _q(self, sql: str, args: tuple = ()) -> list[tuple]:
        if not self.path.exists():
            return []
        con = sqlite3.connect(self.path, timeout=30)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def run_ids(self) -> set[str]:
        return {r[0] for r in self._q("SELECT run_id FROM runs")}

    def status(self, run_id: str) -> str | None:
        rows = self._q("SELECT status FROM runs WHERE run_id=?", (run_id,))
        return rows[0][0] if rows else None

    def error(self, run_id: str) -> str | None:
        rows = self._q("SELECT error FROM runs WHERE run_id=?", (run_id,))
        return rows[0][0] if rows else None

    def speeds(self, run_id: str) -> list[float]:
        sql = "SELECT examples_per_s FROM metrics WHERE run_id=? ORDER BY epoch"
        return [r[0] for r in self._q(sql, (run_id,)) if r[0] is not None]

    def worker_warm(self) -> bool:
        key = "setting:" + SPEED_KEY.format(host=HOST, device="cpu")
        return bool(self._q("SELECT 1 FROM meta WHERE key=?", (key,)))


def start_run(page, store: Store) -> tuple[str, float]:
    """Click Start; (the new run's id, seconds until the page showed its first progress)."""
    before = store.run_ids()
    t0 = time.perf_counter()
    page.locator(".st-key-train_start button").click()
    deadline = time.time() + 30
    while not (new := store.run_ids() - before):
        if time.time() > deadline:
            raise SystemExit("the started run did not appear in the store")
        time.sleep(0.01)
    run_id = new.pop()
    page.wait_for_function(PROGRESS_JS, arg=run_id, timeout=30_000, polling="raf")
    return run_id, time.perf_counter() - t0


def wait_run(store: Store, run_id: str, timeout: float = 1800) -> float:
    """Wait for the run to end; its mean examples/s over epochs (from the store)."""
    deadline = time.time() + timeout
    while store.status(run_id) in ("queued", "running"):
        if time.time() > deadline:
            raise SystemExit(f"run {run_id} did not end in {timeout} s")
        time.sleep(0.5)
    if store.status(run_id) != "finished":
        raise SystemExit(f"run {run_id} ended {store.status(run_id)}: {store.error(run_id)}")
    return statistics.mean(store.speeds(run_id))


def warm_worker(store: Store, timeout: float = 300) -> None:
    """Wait until the worker process is warm: it stores its speed test when it is ready."""
    deadline = time.time() + timeout
    while not store.worker_warm():
        if time.time() > deadline:
            raise SystemExit("the worker process did not get warm")
        time.sleep(0.2)


def unpack(rev: str, into: Path) -> Path:
    """The app as it was at commit ``rev`` (``git archive``), in the folder ``into``."""
    tar = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True)
    if tar.returncode:
        raise SystemExit(f"--baseline {rev}: {tar.stderr.decode().strip()}")
    tar_path = into / "tree.tar"
    tar_path.write_bytes(tar.stdout)
    with tarfile.open(tar_path) as t:
        t.extractall(into / "app", filter="data")
    return into / "app"


class Tree:
    """One version of the app as the benchmark serves it: its server (its own run store), the
    store read with SQL, browser A's page (the Training page) and browser B's (the lesson),
    each in a browser context of its own, and the timed runs' results."""

    def __init__(self, label: str, app_dir: Path, env: dict[str, str]) -> None:
        self.label = label
        self.target = BL.Target(name=label, dir=app_dir, env=env)
        self.rows: list[tuple[int, bool, float, dict[str, float]]] = []
        self.firsts: list[float] = []
        self.latencies: list[float] = []

    def start(self, browser) -> None:
        BL.start_server(self.target)
        self.store = Store(self.target.home)
        self.a = browser.new_context(viewport=VIEWPORT).new_page()
        b_ctx = browser.new_context(viewport=VIEWPORT)
        b_ctx.add_init_script(BL.INIT_JS)
        self.b = self.target.page = b_ctx.new_page()
        BL.open_page(self.target, XCORR)
        self.training = f"{self.target.url}/training"
        self.a.goto(self.training)
        wait_idle(self.a, 90_000)

    @property
    def pid(self) -> int:
        return self.target.proc.pid

    def ratios(self) -> list[float]:
        speed = {(r, w): s for r, w, s, _ in self.rows}
        return [speed[r, True] / speed[r, False] for r in sorted({r for r, *_ in self.rows})]


def timed_round(tree: Tree, r: int, args, values: tuple[str, ...], i: int) -> int:
    """One round on one tree: the first-point run, then the unwatched and the watched run.
    ``i`` counts B's changes across rounds and trees (each change differs from the last);
    the count after this round is returned."""
    a, b, store = tree.a, tree.b, tree.store
    BL.open_page(tree.target, XCORR)
    a.goto(tree.training)
    wait_idle(a, 90_000)
    set_form(a, 1, "10,000")
    run_id, first = start_run(a, store)
    tree.firsts.append(first)
    wait_run(store, run_id)
    print(f"{tree.label} round {r}: first point {first * 1000:.0f} ms", flush=True)
    for watched in (False, True):
        a.goto(tree.training)
        wait_idle(a, 90_000)
        set_form(a, args.epochs, args.subset)
        shares = CpuShares(tree.pid)
        run_id, _ = start_run(a, store)
        if not watched or args.watch == "lesson":
            a.goto("about:blank")  # nobody watches the run
        if not watched or args.watch == "page":
            speed = wait_run(store, run_id)
        else:
            while store.status(run_id) in ("queued", "running"):
                t = time.perf_counter()
                s = BL.change(b, XCORR, values[i % len(values)], tree.pid)
                tree.latencies.append(s["ms"])
                i += 1
                time.sleep(max(0.0, args.every - (time.perf_counter() - t)))
            speed = wait_run(store, run_id)
        cores = shares.done()
        tree.rows.append((r, watched, speed, cores))
        print(f"{tree.label} round {r}: {'watched' if watched else 'unwatched'} "
              f"{speed:,.0f} examples/s; cores: "
              + ", ".join(f"{k} {v:.2f}" for k, v in cores.items()),
              flush=True)  # fmt: skip
    a.goto("about:blank")  # neither page is open while the other tree runs
    b.goto("about:blank")
    return i


def report(tree: Tree, goal: bool) -> float:
    """The tree's table of rounds, its cores and timings; its median ratio."""
    print(f"\n**{tree.label}**\n")
    print("| round | unwatched (ex/s) | watched (ex/s) | watched / unwatched |")
    print("|---|---|---|---|")
    speed = {(r, w): s for r, w, s, _ in tree.rows}
    for r, ratio in zip(sorted({r for r, *_ in tree.rows}), tree.ratios(), strict=True):
        print(f"| {r} | {speed[r, False]:,.0f} | {speed[r, True]:,.0f} | {ratio:.1%} |")
    for watched in (False, True):
        shares = [c for _, w, _, c in tree.rows if w == watched]
        print(f"cores used during the {'watched' if watched else 'unwatched'} runs (median): "
              + ", ".join(f"{k} {statistics.median(c[k] for c in shares):.2f}"
                          for k in shares[0]))  # fmt: skip
    median = statistics.median(tree.ratios())
    print(f"\nwatched / unwatched, median of rounds: {median:.1%}"
          + (" (goal ≥ 90%)" if goal else ""))  # fmt: skip
    if tree.latencies:
        print(
            f"second browser, Cross-correlation preset re-render while the run is watched: "
            f"median {statistics.median(tree.latencies):.0f} ms, p95 {BL.p95(tree.latencies):.0f} "
            f"ms over {len(tree.latencies)} changes (goal: median ≤ 300 ms)"
        )
    print(
        f"Start → first curve point on the page (warm worker): median "
        f"{statistics.median(tree.firsts) * 1000:.0f} ms, max {max(tree.firsts) * 1000:.0f} ms "
        f"(goal ≤ 1 s)"
    )
    return median


class CpuShares:
    """Where the CPU went during one timed run: the run's worker process, the server (its own
    threads: the pages' reruns, the store reads), this benchmark's Chromium (and Playwright's
    driver) and this benchmark's own process, in cores (CPU seconds per second of the run)."""

    def __init__(self, server_pid: int) -> None:  # every server is left out of the browsers
        self.server_pid = server_pid
        self.worker_pid = next(iter(children_running(server_pid, b"cnnviz.runs.worker")), None)
        self.t0, self.start = time.perf_counter(), self._now()

    def _now(self) -> dict[str, float]:
        worker = cpu_ms(self.worker_pid) if self.worker_pid else None
        own = resource.getrusage(resource.RUSAGE_SELF)
        return {"worker": worker or 0.0, "server": cpu_ms(self.server_pid) or 0.0,
                "browsers": BL.browser_cpu_ms(set(BL.SERVERS)),
                "benchmark": (own.ru_utime + own.ru_stime) * 1000}  # fmt: skip

    def done(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        now = self._now()
        return {k: (now[k] - self.start[k]) / 1000 / wall for k in now}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2, help="epochs of the full-data run")
    ap.add_argument(
        "--subset",
        default="60,000",
        choices=["10,000", "30,000", "60,000"],
        help="training examples of the timed runs (fewer: a shorter benchmark on a busy machine)",
    )
    ap.add_argument("--every", type=float, default=2.0, help="seconds between B's changes")
    ap.add_argument("--threads", type=int, default=None, help="CNNVIZ_THREADS for the worker")
    ap.add_argument(
        "--watch",
        choices=["both", "page", "lesson"],
        default="both",
        help="what runs beside a watched run: both browsers (the benchmark), only browser A "
        "watching it (page), or only browser B's lesson changes with nobody watching (lesson)",
    )
    ap.add_argument(
        "--separate",
        action="store_true",
        help="the worker on CPUs of its own; the server and Chromium on the first",
    )
    ap.add_argument(
        "--baseline",
        metavar="REV",
        help="also time the app at this commit, in the same sitting (rounds interleaved)",
    )
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if args.separate:
        if len(cpus) < 2:
            raise SystemExit("--separate needs two CPUs or more")
        os.sched_setaffinity(0, {cpus[0]})  # the server and Chromium, started below, inherit it
    from playwright.sync_api import sync_playwright

    env = {"CNNVIZ_EXECUTOR": "process", "CNNVIZ_WORKERS": "1"}
    if args.threads:
        env["CNNVIZ_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory(prefix="cnnviz_baseline_") as tmp:
        trees = [Tree("this tree", REPO, env)]
        if args.baseline:
            trees.append(Tree(f"baseline {args.baseline}", unpack(args.baseline, Path(tmp)), env))
        i = 0
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                for tree in trees:
                    tree.start(browser)
                    tree.b.goto("about:blank")  # B's lesson is open only in its tree's rounds
                for tree in trees:
                    warm_worker(tree.store)
                    if args.separate:
                        for pid in children_running(tree.pid, b"cnnviz.runs.worker"):
                            pin(pid, set(cpus[1:]))
                for r in range(1, args.rounds + 1):
                    for tree in trees if r % 2 else trees[::-1]:  # drift slows both trees alike
                        i = timed_round(tree, r, args, XCORR.values, i)
                browser.close()
        finally:
            for tree in trees:
                BL.stop_server(tree.target)

    layout = "worker on its own CPUs" if args.separate else "everything shares the CPUs"
    layout += {
        "both": "",
        "page": "; only browser A watches (B idle)",
        "lesson": "; only browser B changes its lesson (nobody watches)",
    }[args.watch]
    print(f"\n{len(cpus)} CPUs, {layout}; load average {os.getloadavg()[0]:.2f} at the end")
    medians = [report(tree, goal=not args.baseline) for tree in trees]
    if args.baseline:
        print(
            f"\nwatched / unwatched, median of {args.rounds} rounds: this tree {medians[0]:.1%}, "
            f"{trees[1].label} {medians[1]:.1%} ({(medians[0] - medians[1]) * 100:+.1f} points; "
            f"goal: not below the baseline)"
        )


if __name__ == "__main__":
    main()
