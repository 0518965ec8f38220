"""A run's files as one user may read them: the reading half of
:class:`cnnviz.runs.service.RunService` (a mixin: it uses the service's ``store`` and
``check_view``, which every read here calls first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnviz.runs.artifacts import CheckpointError

if TYPE_CHECKING:
    import torch

    from cnnviz import classroom as C
    from cnnviz.insight import LoadedRun


class RunFiles:
    """Weights, epoch snapshots, run files and analyses of the runs a user may see."""

    def has_checkpoint(self, user: C.User, run_id: str) -> bool:
        self.check_view(user, run_id)
        return self.store.checkpoint_path(run_id).exists()

    def checkpoint_problem(self, user: C.User, run_id: str) -> CheckpointError | None:
        """Why the run's weights file cannot be exported or read (damaged on disk: cut short,
        or other bytes), from its header; None when it is sound or there is none."""
        return self._file_problem(user, run_id, self.store.check_checkpoint)

    def checkpoint_bytes(self, user: C.User, run_id: str) -> bytes | None:
        """The run file (its weights with the run described in it), or None without one or
        with a damaged one (:meth:`checkpoint_problem` says why): a damaged file is never
        handed out as a run file."""
        if self.checkpoint_problem(user, run_id) is not None:
            return None
        try:
            return self.store.checkpoint_path(run_id).read_bytes()
        except FileNotFoundError:
            return None

    export = checkpoint_bytes  # the checkpoint is the portable run file

    def network(self, user: C.User, run_id: str) -> LoadedRun:
        """The run's trained network, to question (:func:`cnnviz.insight.load_run`: built once
        per weights, shared). Checked like every read, so a page asks again each time it
        uses it, a fragment's own rerun included: a network kept from an earlier run of the
        page would still answer after the teacher closed opening runs by link.

        Raises:
            InsightError: the run has no trained network to question (yet).
        """
        from cnnviz.insight import load_run

        self.check_view(user, run_id)
        return load_run(self.store, run_id)

    def state_dict(self, user: C.User, run_id: str) -> dict[str, torch.Tensor] | None:
        self.check_view(user, run_id)
        return self.store.load_state_dict(run_id)

    def snapshot_epochs(self, user: C.User, run_id: str) -> list[int]:
        self.check_view(user, run_id)
        return self.store.snapshot_epochs(run_id)

    def snapshots_problem(self, user: C.User, run_id: str) -> CheckpointError | None:
        """Why the run's epoch snapshots cannot be read (their file damaged on disk), from its
        header; None when it is sound or there is none (:meth:`snapshot_epochs` is then [])."""
        return self._file_problem(user, run_id, self.store.check_snapshots)

    def _file_problem(self, user: C.User, run_id: str, check) -> CheckpointError | None:
        """What the store's ``check`` of one of the run's files raised, after the user's right
        to see the run is checked."""
        self.check_view(user, run_id)
        try:
            check(run_id)
        except CheckpointError as exc:
            return exc
        return None

    def load_snapshot(self, user: C.User, run_id: str, epoch: int):
        self.check_view(user, run_id)
        return self.store.load_snapshot(run_id, epoch)

    def analysis(self, user: C.User, run_id: str) -> dict | None:
        """What the network learned (confusion matrix, mistakes), if computed."""
        self.check_view(user, run_id)
        return self.store.load_analysis(run_id)

    def save_analysis(self, user: C.User, run_id: str, data: dict) -> None:
        """Keep an analysis computed for a run ``user`` may see (derived from its weights)."""
        self.check_view(user, run_id)
        self.store.save_analysis(run_id, data)
