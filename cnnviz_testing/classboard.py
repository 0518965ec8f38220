"""A class with an experiment and stored runs, without training: what the board's tests and
its render benchmark draw. Runs are written to the store as a worker would (a row, its epochs,
its end), so the board reads them exactly as it reads trained ones."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from cnnviz import class_experiment as X
from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from cnnviz.runs.service import RunService
from cnnviz.runs.store import LIVE_TOKENS

TEACH = User("teacher0000000000", TEACHER)


class StoredQueue:
    """The run manager's submit, without training: each run is written as running, owned by
    a token this process keeps live (the reaper leaves it be), for the caller to fill in."""

    def __init__(self, store):
        self.store = store
        self.token = uuid.uuid4().hex
        LIVE_TOKENS.add(self.token)

    def submit_many(self, entries, user, estimate_s=None, **kw):
        return [
            self.store.create(c, n, g, p, self.token, status="running", user=user.id)
            for c, n, g, p in entries
        ]


@dataclass
class Room:
    classes: Classes
    session: object
    experiment: X.Experiment
    seats: list
    run_ids: list


def curve(value: float, epochs: int, diverged: bool = False) -> list[dict]:
    """Plausible epochs of a run whose final validation accuracy is about ``value``."""
    out = []
    for e in range(1, epochs + 1):
        acc = value * (0.6 + 0.4 * e / epochs)
        loss = math.nan if diverged else 2.3 * (1 - acc) + 0.1
        out.append({"epoch": e, "train_loss": loss, "train_acc": acc, "val_loss": loss,
                    "val_acc": 0.1 if diverged else acc, "examples_per_s": 900.0,
                    "seconds": 2.0})  # fmt: skip
    return out


def class_with_runs(store, n_seats: int = 3, values: str = "0.01, 0.1, 0.9",
                    epochs: int = 2, finish: bool = True, diverge_last: bool = False,
                    points: int = 0, end: bool | None = None) -> Room:  # fmt: skip
    """Open a class, seat ``n_seats`` students, set up an experiment over learning rates
    (round-robin, the quick LeNet) and write every seat's run with ``epochs`` epochs
    (``finish``: ended; else still running, with ``points`` in-epoch loss points each);
    ``end`` (default: ``finish``): the teacher ends the experiment (the board's means)."""
    classes = Classes(store, seats_per_address=max(60, n_seats))
    session = classes.open_class(TEACH)
    seats = [
        classes.join(f"student{i:010d}", session.code, f"Student name {i}", f"10.0.{i // 200}.1")
        for i in range(n_seats)
    ]
    cx = X.ClassExperiments(RunService(StoredQueue(store), store=store))
    exp = cx.create(TEACH, session.class_id, "LeNet", "lr", values)
    cx.hand_out(TEACH, exp, seats)
    run_ids = []
    for i, seat in enumerate(seats):
        user = User(seat.user_id)
        run_id = cx.start(user, exp, seat)
        value = 0.55 + 0.3 * ((i % len(exp.plan)) / max(1, len(exp.plan) - 1)) - 0.01 * (i % 5)
        bad = diverge_last and i % len(exp.plan) == len(exp.plan) - 1 and i % 2 == 0
        for row in curve(value, epochs, bad):
            store.add_epoch(run_id, row)
        if points:
            store.add_points(run_id, [(j / points * epochs, 2.3 - 2.0 * j / points)
                                      for j in range(points)], {})  # fmt: skip
        if finish:
            store.set_status(run_id, "finished")
        run_ids.append(run_id)
    if finish if end is None else end:
        cx.end(TEACH, exp)
    return Room(classes, session, cx.get(exp.experiment_id), seats, run_ids)
