"""A run's files and the portable run file: weights written with the run described in their
metadata (so the file alone can be imported elsewhere), first-layer snapshots, and import."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from cnnviz.config import RunConfig
from cnnviz.errors import plain_name
from cnnviz.runfile import (
    ANALYSIS_KEY,
    EPOCHS_KEY,
    FINAL,
    METRIC_COLUMNS,
    RUN_KEY,
    describe,
    encode_snapshots,
)
from cnnviz.runs.records import label

log = logging.getLogger("cnnviz.runs")

# What an import writes: the notice's sentences (a reason: cnnviz.runfile.SNAPSHOT_DROPS or
# ANALYSIS_DROPS), and the error of a run saved while it trained.
# What a weights file that cannot be read adds to its error (checkpoint.unreadable's end).
CHECKPOINT_HINT = " It may be damaged or not a safetensors file; retrain the run to get it back."
IMPORTED = "Imported from {name}."
SNAPSHOTS_NOT_KEPT = "Its epoch snapshots were not kept ({reason})."
EVALUATION_NOT_KEPT = "Its evaluation was not kept ({reason})."
IMPORTED_CUT_OFF = (
    "Imported from a file saved after epoch {epochs} while the run was {status}; its finished "
    "epochs are kept."
)


class Portable:
    """Checkpoints, snapshots, and run files in and out."""

    def checkpoint_path(self, run_id: str) -> Path:
        return self.files.checkpoint_path(run_id)

    def snapshots_path(self, run_id: str) -> Path:
        return self.files.snapshots_path(run_id)

    def save_state_dict(
        self,
        run_id: str,
        state_dict: dict[str, torch.Tensor],
        status: str | None = None,
        epoch: dict | None = None,
    ) -> Path:
        """Write the weights as safetensors, atomically, with the run described in the metadata
        as it stands (``status``: the one it is about to take, else the stored one; ``epoch``:
        the metrics of an epoch about to be stored) and its first-layer snapshots, so the file
        alone can be imported elsewhere."""
        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
        meta = self._run_metadata(lambda sql, args: self._q(sql, args), run_id, status, epoch)
        return self.files.write_tensors(self.checkpoint_path(run_id), run_id, tensors, **meta)

    def _run_metadata(self, query, run_id: str, status=None, epoch=None) -> dict[str, str]:
        """The run file's metadata: the run described as it stands (``status``: the one it is
        about to take; ``epoch``: an epoch's metrics about to be stored), its snapshots and
        its analysis; {} for an unknown run. ``query(sql, args)`` gives the rows (the store's,
        or an open transaction's, which sees a row not committed yet)."""
        rows = query(
            "SELECT name, grp, preset, status, config, created, device FROM runs WHERE run_id=?",
            (run_id,),
        )
        if not rows:
            return {}
        name, grp, preset, stored, config, created, device = rows[0]
        cols = ", ".join(METRIC_COLUMNS)
        metrics = [
            dict(zip(METRIC_COLUMNS, r, strict=True))
            for r in query(f"SELECT {cols} FROM metrics WHERE run_id=? ORDER BY epoch", (run_id,))
        ]
        if epoch is not None and epoch["epoch"] == len(metrics) + 1:
            metrics.append({c: epoch.get(c) for c in METRIC_COLUMNS})
        config = RunConfig.from_dict(json.loads(config))
        meta = {
            RUN_KEY: describe(
                run_id, name, grp, preset, status or stored, config, created, device, metrics
            )
        }
        if (snapshots := self.snapshots_path(run_id)).exists():
            meta[EPOCHS_KEY] = encode_snapshots(snapshots.read_bytes())
        if analysis := query("SELECT data FROM analysis WHERE run_id=?", (run_id,)):
            meta[ANALYSIS_KEY] = analysis[0][0]
        return meta

    def load_state_dict(self, run_id: str) -> dict[str, torch.Tensor] | None:
        """The run's weights, read as tensors only (safetensors), or None if it has none.

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        path = self.checkpoint_path(run_id)
        return self.files.read_tensors(path, "checkpoint", CHECKPOINT_HINT) or None

    def check_checkpoint(self, run_id: str) -> bool:
        """Whether the run has a weights file, its header read (not its tensors).

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors (damaged).
        """
        return self.files.check_tensors(self.checkpoint_path(run_id), "checkpoint", CHECKPOINT_HINT)

    def save_snapshot(self, run_id: str, epoch: int, tensors: dict[str, torch.Tensor]) -> None:
        self.files.save_snapshot(run_id, epoch, tensors)

    def check_snapshots(self, run_id: str) -> bool:
        """Whether the run has an epoch snapshots file, its header read (not its tensors).

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors (damaged).
        """
        return self.files.check_tensors(self.snapshots_path(run_id), "epoch snapshots")

    def snapshot_epochs(self, run_id: str) -> list[int]:
        return self.files.snapshot_epochs(run_id)

    def load_snapshot(self, run_id: str, epoch: int) -> dict[str, torch.Tensor] | None:
        return self.files.load_snapshot(run_id, epoch)

    def run_size(self, run_id: str) -> int:
        """Bytes on disk of the run's checkpoint and snapshots."""
        return self.files.size(run_id)

    def import_run(
        self,
        data: bytes,
        name: str = "upload",
        user: str | None = None,
        run_id: str | None = None,
        run=None,
    ) -> tuple[str, bool]:
        """Add the run a checkpoint file describes (:mod:`cnnviz.runfile`): its metrics, its
        weights and its first-layer snapshots (if the file has none, epoch 0, the seeded init,
        and the last epoch are rebuilt). A file saved while its run still trained comes in as
        "interrupted". Two imports of one file at once (a class importing the teacher's file)
        add it once: the check and the writes are one transaction, and a failed import removes
        only the files it wrote itself.

        Args:
            user: who the imported run belongs to (None: the class).
            run_id: the id to import it under (default: the file's own), e.g. an importer's
                own copy of a run that is here under another owner.
            run: the file already read (:func:`cnnviz.runfile.read_run_file`).

        Returns:
            (run_id, added): added is False when the store already holds this run.

        Raises:
            RunFileError: the file is not a cnnviz run, or is damaged; nothing was written.
        """
        from cnnviz.features import first_stage_state
        from cnnviz.runfile import read_run_file
        from cnnviz.train import build_net

        run = run if run is not None else read_run_file(data, name)
        rid, config = run_id or run.run_id, run.config
        if self.exists(rid):
            return rid, False
        status = run.status if run.status in FINAL else "interrupted"
        error = None
        if status not in FINAL:
            error = IMPORTED_CUT_OFF.format(epochs=len(run.metrics), status=run.status)
        # as create() keeps them: a file may carry formatting characters (a bidi override)
        group, run_name = label(run.group), label(run.name) or run.preset or config.spec.family
        notice = IMPORTED.format(name=plain_name(name))
        if run.snapshots_dropped:
            notice += " " + SNAPSHOTS_NOT_KEPT.format(reason=run.snapshots_dropped)
        if run.analysis_dropped:
            notice += " " + EVALUATION_NOT_KEPT.format(reason=run.analysis_dropped)
        rebuilt = {}  # without snapshots in the file: the seeded init and the last epoch
        if run.snapshots is None:
            net = build_net(config)  # seconds for VGG-11: only when needed
            rebuilt[0] = first_stage_state(net)
            net.load_state_dict(run.tensors)  # names, shapes and dtypes were checked
            if run.metrics:
                rebuilt[len(run.metrics)] = first_stage_state(net)

        written: list[Path] = []

        def write(path: Path, fn) -> None:
            fn()
            written.append(path)

        def body(db) -> bool:
            if db.execute("SELECT 1 FROM runs WHERE run_id=?", (rid,)).fetchone():
                return False  # another import (thread or process) was first
            nonlocal group
            if (
                group is not None
                and db.execute("SELECT 1 FROM runs WHERE grp=? LIMIT 1", (group,)).fetchone()
            ):
                group = f"{group} (imported {rid[:6]})"  # never mixed into someone's group
            db.execute(
                "INSERT INTO runs (run_id, name, grp, preset, family, status, config,"
                " num_epochs, created, finished, error, notice, device, user_id, imported)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid, run_name, group, run.preset, config.spec.family, status,
                    json.dumps(config.to_dict()), config.num_epochs, run.created,
                    self.clock(), error, notice, run.device, user, self.clock(),
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO metrics VALUES (?,?,?,?,?,?,?,?)",
                [(rid, *[m[c] for c in METRIC_COLUMNS]) for m in run.metrics],
            )
            snaps = self.snapshots_path(rid)
            if run.snapshots is not None:
                write(snaps, lambda: self.files.write_bytes(snaps, run.snapshots))
            if run.analysis is not None:
                db.execute(
                    "INSERT OR REPLACE INTO analysis VALUES (?,?,?)",
                    (rid, json.dumps(run.analysis), self.clock()),
                )
            for epoch, state in rebuilt.items():
                write(snaps, lambda e=epoch, s=state: self.files.save_snapshot(rid, e, s))
            ckpt = self.checkpoint_path(rid)
            same = rid == run.run_id and status == run.status and group == run.group
            if same and run.snapshots is not None:
                write(ckpt, lambda: self.files.write_bytes(ckpt, data))  # checked, current
            else:  # the description changes: written anew (inside the transaction: it reads
                # the new row through this connection)
                write(ckpt, lambda: self._save_state_dict_in(db, rid, run.tensors))
            return True

        try:
            added = self._transaction(body)
        except BaseException:
            for path in written:  # only what this call wrote
                path.unlink(missing_ok=True)
            raise
        return rid, added

    def _save_state_dict_in(self, db, run_id: str, tensors: dict) -> None:
        """save_state_dict for a run whose row is not committed yet (import)."""
        meta = self._run_metadata(lambda sql, args: db.execute(sql, args).fetchall(), run_id)
        self.files.write_tensors(self.checkpoint_path(run_id), run_id, tensors, **meta)
