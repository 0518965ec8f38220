"""Class experiments in the store (see :mod:`cnnviz.class_experiment`): an experiment of a
class (its plan: one varied field, a value and a run config per arm), each seat's assignment
and the run it started, and what the projector shows (the spotlight). Plain rows: the rules
(who may set up, start or spotlight) live in :mod:`cnnviz.class_experiment`."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import TYPE_CHECKING

from cnnviz.runfile import METRIC_COLUMNS, finite_lenient

if TYPE_CHECKING:
    from cnnviz.runs.store import RunStore

PENDING = "pending:"  # a run_id being started: the claim that makes one Start one run


def _whole(value, damaged: int) -> int:
    """A whole number read back from the store; ``damaged`` for text, a fraction or a number
    past any index (a row another program wrote: the board says so, never stops)."""
    number = finite_lenient(value) if not isinstance(value, bytes | bool) else None
    if number is None or number != int(number) or abs(number) > 2**62:
        return damaged
    return int(number)


def _step(step) -> bool:
    """One value of a plan as the store keeps it: its label and its run's settings."""
    return (
        isinstance(step, dict)
        and {"label", "config"} <= step.keys()
        and isinstance(step["config"], dict)
    )


class ExperimentData:
    """Experiments, assignments, the board's rows and the spotlight, over one run store's
    connection (its retries, its write transactions, its clock)."""

    def __init__(self, store: RunStore):
        self.store = store

    def create_experiment(self, class_id: str, title: str, field: str, handout: str, mode: str,
                          plan: list[dict]) -> str:  # fmt: skip
        """A new experiment of ``class_id`` (the class's current one from now on); ``plan``:
        one dict per value (JSON-ready). Returns its id."""
        experiment_id = uuid.uuid4().hex[:10]
        self.store._x(
            "INSERT INTO class_experiments VALUES (?,?,?,?,?,?,?,?,NULL)",
            (experiment_id, class_id, title, field, handout, mode, json.dumps(plan),
             self.store.clock()),
        )  # fmt: skip
        return experiment_id

    def experiments(self, class_id: str | None = None) -> list[dict]:
        """Every experiment (of ``class_id``), newest first, as dicts (``plan`` read back;
        ``damaged``: why a row cannot be used, else None: a damaged row never hides the others)."""
        sql = (
            "SELECT experiment_id, class_id, title, field, handout, mode, plan, created, ended"
            " FROM class_experiments"
        )
        if class_id is not None:
            rows = self.store._q(sql + " WHERE class_id=? ORDER BY created DESC", (class_id,))
        else:
            rows = self.store._q(sql + " ORDER BY created DESC")
        out = []
        for eid, cid, title, field, handout, mode, plan, created, ended in rows:
            damaged = None
            try:
                steps = json.loads(plan) if isinstance(plan, str) else None
            except (ValueError, RecursionError) as exc:  # nested past the parser, too
                steps, damaged = [], f"class experiment {eid} is damaged: {str(exc)[:200]}"
            if not (isinstance(steps, list) and steps and all(_step(s) for s in steps)):
                steps = []
                damaged = damaged or f"class experiment {eid} is damaged: its plan has no values"
            out.append({"experiment_id": eid, "class_id": cid, "title": str(title),
                        "field": str(field), "handout": str(handout), "mode": str(mode),
                        "plan": steps, "created": finite_lenient(created) or 0.0,
                        "ended": finite_lenient(ended), "damaged": damaged})  # fmt: skip
        return out

    def end_experiment(self, experiment_id: str) -> None:
        """The class has stopped: the board shows each value's mean and band from now on."""
        self.store._x(
            "UPDATE class_experiments SET ended=? WHERE experiment_id=? AND ended IS NULL",
            (self.store.clock(), experiment_id),
        )

    def assignments(self, experiment_id: str) -> list[dict]:
        """Each seat's assignment in the order they were made: seat_id, user_id, value (the
        plan's index), run_id (None before Start), repeat (its value's n-th run)."""
        rows = self.store._q(
            "SELECT seat_id, user_id, value_index, run_id, repeat, assigned"
            " FROM class_assignments WHERE experiment_id=? ORDER BY assigned, seat_id",
            (experiment_id,),
        )
        return [
            {"seat_id": s, "user_id": u, "value": _whole(v, -1), "run_id": r,
             "repeat": _whole(rep, 0) if rep is not None else None,
             "assigned": finite_lenient(a) or 0.0}
            for s, u, v, r, rep, a in rows
        ]  # fmt: skip

    def assign(self, experiment_id: str, seat_id: str, user_id: str, choose) -> dict:
        """The seat's assignment, made now when it has none: ``choose(counts)`` picks the
        value from how many seats hold each one (in one write transaction, so two seats
        joining at once are counted apart). Returns the assignment."""

        def body(db):
            row = db.execute(
                "SELECT value_index FROM class_assignments WHERE experiment_id=? AND seat_id=?",
                (experiment_id, seat_id),
            ).fetchone()
            if row is None:
                counts = dict(db.execute(
                    "SELECT value_index, COUNT(*) FROM class_assignments WHERE experiment_id=?"
                    " GROUP BY value_index", (experiment_id,)).fetchall())  # fmt: skip
                db.execute(
                    "INSERT INTO class_assignments (experiment_id, seat_id, user_id,"
                    " value_index, assigned) VALUES (?,?,?,?,?)",
                    (experiment_id, seat_id, user_id, int(choose(counts)), self.store.clock()),
                )

        self.store._transaction(body)
        return next(a for a in self.assignments(experiment_id) if a["seat_id"] == seat_id)

    def choose_value(self, experiment_id: str, seat_id: str, user_id: str, index: int) -> bool:
        """A student's own pick (before Start only); False once their run was started."""
        n = self.store._x(
            "UPDATE class_assignments SET value_index=?, repeat=NULL WHERE experiment_id=?"
            " AND seat_id=? AND run_id IS NULL",
            (int(index), experiment_id, seat_id),
        )
        if n:
            return True
        try:
            self.store._x(
                "INSERT INTO class_assignments (experiment_id, seat_id, user_id, value_index,"
                " assigned) VALUES (?,?,?,?,?)",
                (experiment_id, seat_id, user_id, int(index), self.store.clock()),
            )
        except sqlite3.IntegrityError:  # the row exists: its run was started
            return False
        return True

    def claim_start(self, experiment_id: str, seat_id: str, restart: tuple[str, ...]) -> int | None:
        """Claim the seat's Start: its run_id becomes a pending mark (a second press finds it
        and claims nothing) and its repeat the number of runs its value has had. A seat whose
        run is one of ``restart`` (its run ended without finishing, or is gone) may start
        again. Returns the repeat, or None when the seat's run is started already."""

        def body(db):
            row = db.execute(
                "SELECT value_index, run_id, repeat FROM class_assignments WHERE"
                " experiment_id=? AND seat_id=?", (experiment_id, seat_id)).fetchone()  # fmt: skip
            if row is None or (row[1] is not None and row[1] not in restart):
                return None
            repeat = row[2]  # a seat starting again keeps its seed
            if repeat is None:
                (repeat,) = db.execute(
                    "SELECT COUNT(*) FROM class_assignments WHERE experiment_id=? AND"
                    " value_index=? AND repeat IS NOT NULL", (experiment_id, row[0]),
                ).fetchone()  # fmt: skip
            db.execute(
                "UPDATE class_assignments SET run_id=?, repeat=? WHERE experiment_id=? AND"
                " seat_id=?", (PENDING + uuid.uuid4().hex[:8], int(repeat), experiment_id,
                               seat_id))  # fmt: skip
            return int(repeat)

        return self.store._transaction(body)

    def set_assignment_run(self, experiment_id: str, seat_id: str, run_id: str | None) -> None:
        """The run a claimed Start queued (None: the start was refused, the claim is undone)."""
        self.store._x(
            "UPDATE class_assignments SET run_id=? WHERE experiment_id=? AND seat_id=?",
            (run_id, experiment_id, seat_id),
        )

    def board_rows(self, experiment_id: str) -> tuple[list[dict], dict[str, list[dict]]]:
        """Everything the board draws, in two reads: each assignment with its run's status,
        epochs and owner, and every started run's per-epoch metrics."""
        rows = self.store._q(
            "SELECT a.seat_id, a.user_id, a.value_index, a.run_id, a.repeat, r.status,"
            " r.num_epochs, r.user_id, r.error FROM class_assignments a"
            " LEFT JOIN runs r ON r.run_id = a.run_id WHERE a.experiment_id=?"
            " ORDER BY a.assigned, a.seat_id",
            (experiment_id,),
        )
        seats = [
            {"seat_id": s, "user_id": u, "value": _whole(v, -1),
             "run_id": rid if rid and not str(rid).startswith(PENDING) else None,
             "repeat": _whole(rep or 0, 0), "status": status, "num_epochs": _whole(n or 0, 0),
             "owner": owner, "error": error}
            for s, u, v, rid, rep, status, n, owner, error in rows
        ]  # fmt: skip
        ids = [s["run_id"] for s in seats if s["run_id"] and s["status"]]
        metrics: dict[str, list[dict]] = {rid: [] for rid in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            for r in self.store._q(
                f"SELECT run_id, {', '.join(METRIC_COLUMNS)} FROM metrics"
                f" WHERE run_id IN ({marks}) ORDER BY run_id, epoch", ids,
            ):  # fmt: skip
                # a value that is no number reads as missing (as a diverged run's NaN)
                row = zip(METRIC_COLUMNS, r[1:], strict=True)
                metrics[r[0]].append(
                    {c: finite_lenient(v) if c != "epoch" else _whole(v, 0) for c, v in row}
                )
        return seats, metrics

    def live_points(self, run_ids: list[str], most: int = 200) -> dict[str, list[tuple]]:
        """The in-epoch (fractional epoch, train loss) points of several runs in one read, at
        most ``most`` per run (evenly thinned, the last kept)."""
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        out: dict[str, list[tuple]] = {rid: [] for rid in run_ids}
        for rid, x, loss in self.store._q(
            f"SELECT run_id, x, loss FROM points WHERE run_id IN ({marks}) ORDER BY run_id, seq",
            run_ids,
        ):
            if (x := finite_lenient(x)) is not None and (loss := finite_lenient(loss)) is not None:
                out[rid].append((x, loss))  # a damaged point is left out
        for rid, pts in out.items():
            if len(pts) > most:
                step = (len(pts) - 1) / (most - 1)
                out[rid] = [pts[round(i * step)] for i in range(most)]
        return out

    def set_spotlight(self, class_id: str, kind: str, run_id: str | None, seat_id: str | None,
                      by: str) -> None:  # fmt: skip
        """What the class's projector view shows: "board", "run" (``run_id`` of ``seat_id``)
        or "none"."""
        self.store._x(
            "INSERT OR REPLACE INTO class_spotlight VALUES (?,?,?,?,?,?)",
            (class_id, kind, run_id, seat_id, by, self.store.clock()),
        )

    def spotlight(self, class_id: str) -> dict | None:
        rows = self.store._q(
            "SELECT kind, run_id, seat_id, set_by, updated FROM class_spotlight WHERE class_id=?",
            (class_id,),
        )
        if not rows:
            return None
        kind, run_id, seat_id, by, updated = rows[0]
        return {"kind": str(kind), "run_id": run_id, "seat_id": seat_id, "set_by": by,
                "updated": finite_lenient(updated) or 0.0}  # fmt: skip
