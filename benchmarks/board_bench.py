"""Server-side render time of the class board with 30 seats' runs (stored metrics, no training).

A class of ``--seats`` students runs one experiment over three learning rates; every seat's run
is written to a fresh run store as a worker would (its epochs, its end; a third of the runs at
the largest rate diverged). The board page (app_pages/board.py) then runs in Streamlit's
AppTest in this process, as the teacher on the projector and as a student: one cold run (the
runs pages' one-off warm-up and data preload threads waited for: they would count as the
board's CPU), two warm-up reruns, then ``REPEATS`` timed reruns. Both views are timed while
the class trains (the live view, every seat's in-epoch points) and after it stopped (means,
bands, the sentence).
The numbers include AppTest's own overhead: an upper bound on the server's work; the
browser's drawing is not included.

    .venv/bin/python benchmarks/board_bench.py [--seats 30]

Target: a median of at most 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 9
TARGET_MS = 300
SECRET = "board-bench-secret"


def _page(user, token=None):
    from streamlit.testing.v1 import AppTest

    from ui.identity import TOKEN

    at = AppTest.from_file(str(ROOT / "app_pages" / "board.py"), default_timeout=120)
    at.session_state["cnnviz_user"] = user
    if token:
        at.session_state[TOKEN] = token
    return at


def _time(at) -> tuple[list[float], list[float]]:
    at.run()
    for _ in range(2):
        at.run()
    wall, cpu = [], []
    for _ in range(REPEATS):
        t, c = time.perf_counter(), time.process_time()
        at.run()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return wall, cpu


def bench(seats: int, finish: bool) -> list[tuple[str, tuple]]:
    from cnnviz.classroom import User
    from cnnviz.runs import RunStore
    from cnnviz_testing.classboard import TEACH, class_with_runs

    os.environ["CNNVIZ_HOME"] = tempfile.mkdtemp(prefix="cnnviz_board_bench_")
    store = RunStore()
    room = class_with_runs(store, seats, values="0.1, 0.9, 1.5", epochs=5, finish=finish,
                           diverge_last=True, points=0 if finish else 400)  # fmt: skip
    token = store.issue_teacher_token(TEACH.id, SECRET, 3600)
    student = User(room.seats[0].user_id)
    teacher_at, student_at = _page(TEACH, token), _page(student)
    student_at.run()
    for t in threading.enumerate():  # the runs pages' one-off warm-up and data preload
        if t.name in ("cnnviz-warm-up", "cnnviz-preload"):
            t.join()
    out = [("teacher (projector)", _time(teacher_at)), ("student", _time(student_at))]
    shown = " ".join(m.value for m in teacher_at.markdown)
    assert f"{seats} of {seats} seats started" in shown, shown[:300]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seats", type=int, default=30)
    args = parser.parse_args()
    os.environ["CNNVIZ_TEACHER_SECRET"] = SECRET
    os.environ["CNNVIZ_EXECUTOR"] = "thread"
    rows = []
    for finish in (False, True):
        for who, (wall, cpu) in bench(args.seats, finish):
            rows.append(("stopped" if finish else "training", who, wall, cpu))
    load = os.getloadavg()[0]
    print(f"Class board, {args.seats} seats' runs (5 epochs each), {REPEATS} reruns each, ms; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the end.\n")  # fmt: skip
    print("| class | view | wall median | wall max | CPU median | target |")
    print("|---|---|---|---|---|---|")
    for state, who, wall, cpu in rows:
        print(f"| {state} | {who} | {statistics.median(wall):.0f} | {max(wall):.0f} | "
              f"{statistics.median(cpu):.0f} | ≤ {TARGET_MS} |")  # fmt: skip
    from cnnviz.runs import get_manager

    get_manager().shutdown()


if __name__ == "__main__":
    main()
