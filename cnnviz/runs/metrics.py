"""Metrics and live points: one row per finished epoch, the in-epoch loss points and the
latest progress of a running run, the listing of every run, the history an estimate learns
from, and the stored analysis (confusion matrix, worst mistakes)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from cnnviz.config import RunConfig
from cnnviz.runfile import (
    METRIC_COLUMNS,
    finite_lenient,
)
from cnnviz.runs.db import StoreError
from cnnviz.runs.records import fmt_time

log = logging.getLogger("cnnviz.runs")


@dataclass(frozen=True)
class RunSummary:
    """One run as listed (:meth:`Metrics.list_runs`): plain values, a missing one ``None``
    (never NaN). Pages that show a table build it from these (:func:`cnnviz.frames.table`)."""

    run_id: str
    name: str  # its id when it has none
    group: str | None
    status: str | None
    family: str | None
    preset: str | None
    epochs_done: int
    num_epochs: int  # 0 when the stored number cannot be read
    best_val_acc: float | None
    final_val_acc: float | None
    seconds: float  # the finished epochs' time (0.0: none)
    created: str  # as text ('' when the stored time cannot be read)
    device: str | None
    error: str | None
    examples_per_s: float | None  # the last epoch's speed
    user: str | None  # its owner (None: the class's own, e.g. the CLI's)
    pinned: bool
    size_mb: float  # its files on disk


class Metrics:
    """Epochs, points, progress, listings, history and analysis."""

    def add_epoch(self, run_id: str, record: dict) -> None:
        """Commit one epoch's metrics (autocommit: it survives a crash right after)."""
        self._x(
            "INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?,?)",
            (run_id, *[record.get(c) for c in METRIC_COLUMNS]),
        )

    def add_points(self, run_id: str, points: list[tuple[float, float]], progress: dict) -> None:
        """The in-epoch running-loss points since the last call, and the latest progress."""

        def body(db):
            (n,) = db.execute("SELECT COUNT(*) FROM points WHERE run_id=?", (run_id,)).fetchone()
            db.executemany(
                "INSERT OR REPLACE INTO points VALUES (?,?,?,?)",
                [(run_id, n + i, x, loss) for i, (x, loss) in enumerate(points)],
            )
            db.execute(
                "UPDATE runs SET progress=?, heartbeat=? WHERE run_id=? AND status='running'",
                (json.dumps(progress), self.clock(), run_id),
            )

        self._transaction(body)

    def points(self, run_id: str) -> list[tuple[float, float]]:
        """(fractional epoch, running train loss) points of the run, for its live curve."""
        return [
            (float(x), float(loss))
            for x, loss in self._q(
                "SELECT x, loss FROM points WHERE run_id=? ORDER BY seq", (run_id,)
            )
        ]

    def stored_progress(self, run_id: str) -> dict | None:
        """The latest progress record of a running run (None once it ended)."""
        rows = self._q("SELECT progress FROM runs WHERE run_id=?", (run_id,))
        if not rows or not rows[0][0]:
            return None
        try:
            return json.loads(rows[0][0])
        except ValueError:
            return None

    def metrics_rows(self, run_id: str) -> list[dict]:
        """One dict per finished epoch, oldest first (keys as the epoch record, a missing value
        None). A page that shows them as a table builds it (:func:`cnnviz.frames.metrics_table`)."""
        rows = self._q(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM metrics WHERE run_id=? ORDER BY epoch",
            (run_id,),
        )
        return [dict(zip(METRIC_COLUMNS, r, strict=True)) for r in rows]

    def list_runs(self) -> list[RunSummary]:
        """All runs, newest first, with their best and last validation accuracy. A damaged
        row is listed with what can be read; it never breaks the listing."""
        if self.clock() - self._last_reap > 5:
            try:
                self.reap()
            except StoreError as exc:  # busy: the listing still comes, the reap next time
                log.warning("reaping skipped: %s", exc)
        rows = self._q(
            "SELECT r.run_id, r.name, r.grp, r.status, r.family, r.preset,"
            " COUNT(m.epoch), r.num_epochs, MAX(m.val_acc),"
            " (SELECT val_acc FROM metrics WHERE run_id=r.run_id ORDER BY epoch DESC LIMIT 1),"
            " COALESCE(SUM(m.seconds), 0), r.created, r.device, r.error,"
            " (SELECT examples_per_s FROM metrics WHERE run_id=r.run_id"
            "  ORDER BY epoch DESC LIMIT 1), r.user_id, r.pinned"
            " FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id"
            " GROUP BY r.run_id"
        )

        def text(v) -> str | None:
            return None if v is None else str(v)

        clean = []
        for r in rows:
            n = finite_lenient(r[7])
            summary = RunSummary(
                run_id=str(r[0]),
                name=text(r[1]) or str(r[0]),
                group=text(r[2]),
                status=text(r[3]),
                family=text(r[4]),
                preset=text(r[5]),
                epochs_done=int(r[6] or 0),
                num_epochs=int(n) if n is not None and abs(n) < 2**31 else 0,
                best_val_acc=finite_lenient(r[8]),
                final_val_acc=finite_lenient(r[9]),
                seconds=finite_lenient(r[10]) or 0.0,
                created=fmt_time(r[11]),
                device=text(r[12]),
                error=text(r[13]),
                examples_per_s=finite_lenient(r[14]),
                user=text(r[15]),
                pinned=bool(r[16]),
                size_mb=self.files.size(r[0]) / 2**20,
            )
            clean.append((finite_lenient(r[11]) or 0.0, summary))
        clean.sort(key=lambda t: t[0], reverse=True)
        return [s for _, s in clean]

    def history(self, config: RunConfig, device: str, limit: int = 20) -> list[dict]:
        """Epochs of earlier runs of the same network and batch size trained here on
        ``device`` (not imported ones: those ran elsewhere), newest first: what an estimate
        of a new run learns from. Dicts with examples_per_s, seconds, n_train, n_val."""
        from cnnviz.models import spec_to_dict

        want = json.loads(json.dumps(spec_to_dict(config.spec)))  # as stored: lists, not tuples
        rows = self._q(
            "SELECT r.config, m.examples_per_s, m.seconds FROM runs r"
            " JOIN metrics m ON m.run_id = r.run_id"
            " WHERE r.family=? AND r.device=? AND r.imported IS NULL AND m.examples_per_s > 0"
            " ORDER BY r.created DESC, m.epoch LIMIT 500",
            (config.spec.family, device),
        )
        out = []
        for raw, rate, seconds in rows:
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            if d.get("spec") != want or d.get("batch_size") != config.batch_size:
                continue
            n = min(d.get("limit") or 60_000, 60_000)
            v = min(d.get("val_limit") or 10_000, 10_000)
            if finite_lenient(rate) and finite_lenient(seconds):
                out.append({"examples_per_s": rate, "seconds": seconds, "n_train": n, "n_val": v})
            if len(out) >= limit:
                break
        return out

    def save_analysis(self, run_id: str, data: dict) -> None:
        self._x(
            "INSERT OR REPLACE INTO analysis VALUES (?,?,?)",
            (run_id, json.dumps(data), self.clock()),
        )

    def load_analysis(self, run_id: str) -> dict | None:
        rows = self._q("SELECT data FROM analysis WHERE run_id=?", (run_id,))
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except ValueError:
            log.warning("the stored analysis of run %s is damaged; it will be recomputed", run_id)
            return None
