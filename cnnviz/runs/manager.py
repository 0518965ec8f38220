"""The run manager: the queue and the books; an executor does the training.

:meth:`RunManager.submit` stores a run as queued. A dispatcher thread hands queued runs to the
executor when it has a free slot (round-robin across users, see :mod:`cnnviz.runs.queue`),
learns from it which runs ended, and marks a run whose worker died as interrupted with the
reason. Everything a page shows is read from the store, so any process can show any run.

Several server processes over one store each have a manager: every one of them queues, stops
and shows any run (a Stop is asked through the store), and the one holding the store's
dispatcher lease starts them all (:mod:`cnnviz.runs.dispatcher`).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.classroom import Limits, User, check_submit
from cnnviz.config import RunConfig, check_environment, setting
from cnnviz.runs import queue as Q
from cnnviz.runs.dispatcher import (  # noqa: F401  (the dispatcher's timings, named here too)
    ADOPT_S,
    BUSY_BACKOFF_S,
    DISPATCH_S,
    HOUSEKEEPING_S,
    LEASE,
    Dispatcher,
)
from cnnviz.runs.executors import Ended, Executor, ProcessExecutor, ThreadExecutor
from cnnviz.runs.shared import LEASE_S, lease_holder_name
from cnnviz.runs.store import HOST, LIVE, LIVE_TOKENS, RunStore, StoreError, default_home

if TYPE_CHECKING:
    from cnnviz.estimates import Estimate

ENV_EXECUTOR = "CNNVIZ_EXECUTOR"  # process (default), thread or ray
ENV_WORKERS = "CNNVIZ_WORKERS"


class RunManager(Dispatcher):
    """Queues runs in ``store`` and trains them on ``executor`` (default: threads here); its
    dispatcher thread (:class:`cnnviz.runs.dispatcher.Dispatcher`) starts them.

    Args:
        store: the run store.
        max_workers: runs training at once, for the default thread executor.
        executor: where runs train (see :mod:`cnnviz.runs.executors`).
        lease_s: how long the dispatcher lease outlives its holder's last renewal.
    """

    def __init__(
        self,
        store: RunStore,
        max_workers: int = 1,
        executor: Executor | None = None,
        limits: Limits | None = None,
        lease_s: float = LEASE_S,
    ):
        self.store = store
        self.limits = limits or Limits.from_env()
        self.token = uuid.uuid4().hex
        self.holder, self.lease_s = lease_holder_name(self.token, os.getpid()), lease_s
        self.dispatching = False  # this manager holds the store's dispatcher lease
        self.started_here = False  # its executor has trained a run (it looks after it)
        LIVE_TOKENS.add(self.token)
        self.executor = executor or ThreadExecutor(store, max_workers)
        if getattr(self.executor, "token", "") is None:
            self.executor.token = self.token  # runs in this process are this manager's
        self.max_workers = self.executor.slots
        self._wake = threading.Condition()
        self._closed = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._housekeeping_lock = threading.Lock()  # one housekeeping at a time
        self._ended: list[Ended] = []  # ended runs not yet marked (the store was busy)
        self._stopping: set[str] = set()  # runs the executor was asked to stop
        self.busy_since: float | None = None  # the store is locked by another program
        self._submit_lock = threading.Lock()  # an address's count and its runs' queueing
        self._ensure_dispatcher()

    # -- submitting and stopping ------------------------------------------------------------
    def submit(
        self,
        config: RunConfig,
        name: str | None = None,
        group: str | None = None,
        preset: str | None = None,
        user: User | str | None = None,
        estimate_s: float | None = None,
        submit_token: str | None = None,
    ) -> str:
        """Store the run as queued and wake the dispatcher; returns its id.

        ``submit_token``: one per press of a Start button; a second submit with the same
        token (the same press, sent twice) returns the run the first one queued.

        Raises:
            ValueError: the config cannot train (the message says why).
            LimitError: ``user`` (a :class:`~cnnviz.classroom.User`) may not queue it now.
        """
        entries = [(config, name, group, preset)]
        return self.submit_many(entries, user, estimate_s, submit_token=submit_token)[0]

    def submit_many(
        self,
        entries: list[tuple[RunConfig, str | None, str | None, str | None]],
        user: User | str | None = None,
        estimate_s: float | None = None,
        submit_token: str | None = None,
        seeds: int = 1,
    ) -> list[str]:
        """Queue several runs at once (an ablation group counts as one student's runs): all of
        them, or none with the reason. ``entries``: (config, name, group, preset), queued in
        this order (the queue starts one person's runs oldest first).

        A :class:`~cnnviz.classroom.User` is held to the class limits (queue caps, the longest
        run a student may start: ``estimate_s`` is the longest of these runs here; a group
        repeated over ``seeds`` seeds may queue that many times a student's cap; a student's
        ``address`` counts the runs waiting of every student who queued from there); a plain
        id or None (the CLI, scripts) is not."""
        if not entries:
            raise ValueError("nothing to queue: no runs were given")
        for config, *_ in entries:
            if not isinstance(config, RunConfig):
                raise ValueError(f"a run is described by a RunConfig, not {type(config).__name__}")
            config.validate()
        check = None
        if isinstance(user, User):
            from cnnviz.device import pick_device

            kinds = {pick_device(c.device)[0].type for c, *_ in entries}
            device = "cuda" if "cuda" in kinds else "cpu"
            if not user.is_teacher:
                # the longest run a student may start holds whatever the caller estimated (or
                # did not): this server's own estimate, or the caller's when it is longer
                own = max(self.estimate(c).seconds for c, *_ in entries)
                estimate_s = max(own, estimate_s) if Q.is_seconds(estimate_s) else own

            def check(mine: int, total: int) -> None:
                check_submit(user, len(entries), mine, total, estimate_s, self.limits, device,
                             seeds=seeds, queued_by_address=at_address)  # fmt: skip

        uid = user.id if isinstance(user, User) else user
        with self._submit_lock:
            at_address = None
            if isinstance(user, User) and not user.is_teacher and user.address is not None:
                at_address = self.store.queued_at_address(user.address, user.id)
            address = user.address if isinstance(user, User) and not user.is_teacher else None
            ids = self.store.create_many(entries, self.token, uid, check, submit_token, address)
        self.kick()
        return ids

    def kick(self) -> None:
        """Wake the dispatcher now (a run was queued or a slot freed)."""
        self._ensure_dispatcher()
        with self._wake:
            self._wake.notify_all()

    def stop(self, run_id: str) -> None:
        """Stop a queued or running run; a running one ends within a second (its process sees
        the executor's message or the store's stop flag, and leaves the batch it is in). A
        batch still running after the grace period (``$CNNVIZ_STOP_GRACE_S``) has its worker
        process ended: the run is stopped with its finished epochs (process and Ray
        executors; see :mod:`cnnviz.runs.executors`)."""
        if self.store.stop_queued(run_id):
            return
        self.store.request_stop(run_id)
        self._stopping.add(run_id)
        self.executor.cancel(run_id)

    def delete(self, run_id: str, timeout: float = 10.0) -> None:
        """Delete a run; a live one is stopped first (and waited for).

        Raises:
            RunActiveError: it did not stop within ``timeout``.
        """
        if self.store.status(run_id) in LIVE:
            self.stop(run_id)
            self.wait(run_id, timeout)
        self.store.delete(run_id)

    # -- reading ----------------------------------------------------------------------------
    def status(self, run_id: str) -> str:
        return self.store.status(run_id)

    def progress(self, run_id: str) -> dict | None:
        """The latest progress record of a running run (None once it ended)."""
        return self.store.stored_progress(run_id)

    def progress_history(self, run_id: str) -> list[tuple[float, float]]:
        """(fractional epoch, running train loss) points of the run, for curves."""
        return self.store.points(run_id)

    def active(self) -> list[str]:
        """Runs of this manager that are queued or running."""
        return sorted(set(self.store.live_runs(self.token)) | self.executor.alive())

    def wait(self, run_id: str, timeout: float | None = None) -> str:
        """Block until the run has ended (for tests and scripts); returns its status."""
        deadline = None if timeout is None else time.time() + timeout
        while True:
            s = self.store.status(run_id)
            if s not in LIVE:
                return s
            if deadline is not None and time.time() > deadline:
                return s
            time.sleep(0.05)

    def queue_positions(self) -> dict[str, int]:
        """Each queued run's place in line (1 = next)."""
        running, served = self.store.user_load()
        return Q.positions(self.store.queued(), running, served)  # one line for the store

    # -- how long ---------------------------------------------------------------------------
    def estimate(self, config: RunConfig) -> Estimate:
        """How long ``config`` will take here: from earlier runs of the same network on this
        machine, else from the workers' speed test, else built-in numbers."""
        from cnnviz.device import pick_device
        from cnnviz.estimates import SPEED_KEY, estimate_run, speeds_from

        device = pick_device(config.device)[0].type
        speeds = speeds_from(self.store.setting(SPEED_KEY.format(host=HOST, device=device)), device)
        return estimate_run(config, device, speeds, self.store.history(config, device))

    def time_left(self, run_id: str) -> Estimate | None:
        """What is left of a live run: measured by the run itself once it trains. For a queued
        run, the wait until it starts: what is left of the runs training now (each frees its
        slot when it ends), then the runs ahead of it in line, each for its estimate, on the
        slots as they free (:func:`cnnviz.runs.queue.start_wait`), and not before its owner
        (a seat, in a class) and its address are under their caps of training runs, as the
        dispatcher starts them. None for an ended run."""
        from cnnviz.estimates import RANGES, Estimate

        rec = self.store.get(run_id)
        if rec.status == "running":
            return self._left(rec)
        queued = self.store.queued()
        running, served = self.store.user_load()
        order = Q.positions(queued, running, served)
        if rec.status != "queued" or run_id not in order:
            return None
        owners = {rid: user for rid, user, _ in queued}
        ahead = sorted((pos, rid) for rid, pos in order.items() if pos < order[run_id])
        training = []  # the dispatcher knows its runs; another process reads them from the store
        for rid in sorted(self.executor.alive() if self.dispatching else self.store.running()):
            try:
                if (r := self.store.get(rid)).status == "running":
                    training.append(r)
            except (KeyError, StoreError):  # deleted or damaged meanwhile: holds no slot
                continue
        parts = [self._left(r) for r in training]
        estimates: dict[str, Estimate] = {}
        configs = self.store.queued_configs()  # one query, however long the queue
        waiting = []  # (run, its estimate) of the runs ahead, in line
        for _, rid in ahead:
            if (config := configs.get(rid)) is None:
                continue  # started, stopped or damaged meanwhile
            key = repr(config)
            if key not in estimates:
                estimates[key] = self.estimate(config)
            waiting.append((rid, estimates[key]))
        if not parts and not waiting:
            return None
        where = self.store.live_addresses()

        def groups(rid: str, user: str | None) -> tuple:
            found = (("user", user),) if user is not None else ()
            return found + ((("address", where[rid]),) if rid in where else ())

        caps = {"user": self.limits.max_running_per_user,
                "address": self.limits.max_running_per_address}  # fmt: skip
        in_groups = [groups(r.run_id, r.user) for r in training]
        ahead_groups = [groups(rid, owners.get(rid)) for rid, _ in waiting]

        def wait(field: str) -> float:
            return Q.start_wait(
                [(getattr(p, field), g) for p, g in zip(parts, in_groups, strict=True)],
                [(getattr(e, field), g) for (_, e), g in zip(waiting, ahead_groups, strict=True)],
                self.executor.slots, groups(run_id, rec.user), caps,
            )  # fmt: skip

        basis = max((p.basis for p in [*parts, *(e for _, e in waiting)]),
                    key=list(RANGES).index)  # fmt: skip
        return Estimate(wait("seconds"), wait("low"), wait("high"), basis)

    def _left(self, rec) -> Estimate:
        from cnnviz.estimates import live_estimate

        return live_estimate(
            rec.config, rec.started, self.store.metrics_rows(rec.run_id),
            self.store.stored_progress(rec.run_id), self.estimate(rec.config),
        )  # fmt: skip

    def shutdown(self) -> None:
        """Stop every run of this manager, its dispatcher and its executor (tests; a server
        that exits takes its workers with it)."""
        for rid in self.active():
            self.stop(rid)
        self._closed.set()
        with self._wake:
            self._wake.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=5)
        self.executor.shutdown()
        self._handle_ended(self.executor.poll())
        for rid in self.active():  # whatever the executor left behind ends as stopped
            self.store.set_status(rid, "stopped", only_live=True)
        self.store.release_lease(LEASE, self.holder)  # another process dispatches at once
        self.dispatching = False
        LIVE_TOKENS.discard(self.token)


def make_executor(store: RunStore) -> Executor:
    """The executor ``$CNNVIZ_EXECUTOR`` names: ``process`` (default: supervised worker
    processes), ``thread``, or ``ray`` (``$CNNVIZ_RAY_ADDRESS``, else a local Ray started on
    demand). ``$CNNVIZ_WORKERS`` runs train at once (default 1: on a CPU, parallel runs only
    share the same cores)."""
    kind, workers = setting(ENV_EXECUTOR), setting(ENV_WORKERS)
    if kind == "thread":
        return ThreadExecutor(store, workers or 1)
    if kind == "ray":
        from cnnviz.runs.ray_executor import RayExecutor

        return RayExecutor(store, slots=workers)
    return ProcessExecutor(store.root, workers or 1)


_managers: dict[Path, RunManager] = {}
_managers_lock = threading.Lock()


def get_manager() -> RunManager:
    """The process-wide manager over ``RunStore(default_home())`` (one per store folder), on
    the executor ``$CNNVIZ_EXECUTOR`` names (see :func:`make_executor`)."""
    check_environment()  # each refused setting and unknown CNNVIZ_ name: one log line
    home = default_home().resolve()
    with _managers_lock:
        if home not in _managers:
            store = RunStore(home)
            _managers[home] = RunManager(store, executor=make_executor(store))
        return _managers[home]
