"""The manager's dispatcher: a thread that hands queued runs to the executor when it has a
free slot (round-robin across users, see :mod:`cnnviz.runs.queue`), learns from it which runs
ended, marks a run whose worker died as interrupted (or one whose worker was ended because
Stop's grace ran out as stopped), passes Stops asked through the store on to the executor, and
does the housekeeping (retention and quotas) now and then.

One dispatcher per store: of several server processes over one store, only the one holding
the store's ``dispatcher`` lease (:mod:`cnnviz.runs.shared`, renewed every ``RENEW_S``) starts
runs, every run any process's manager queued (a row a script queued waits until adopted, as
after a restart); the others wait and take the
lease over when it expires (``LEASE_S``: the holder died or hangs), or at once when its
process is gone from this host. Its claim of a run holds only while it still has the lease, so
a dispatcher that lost it (paused too long) starts nothing more. Worker processes belong to
the dispatcher: a waiting process starts none. The one that takes over marks the runs of a
dead dispatcher interrupted (:meth:`cnnviz.runs.liveness.Liveness.reap`: their worker
processes left with their server); a run whose worker process is still alive is never reaped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from cnnviz.classroom import runs_to_trim
from cnnviz.runs import queue as Q
from cnnviz.runs.executors import INTERRUPTED, Ended, stopped_text
from cnnviz.runs.shared import RENEW_S
from cnnviz.runs.store import StoreBusyError, StoreError
from cnnviz.runs.supervision import NOT_STARTED

log = logging.getLogger("cnnviz.runs")
DISPATCH_S = 0.2  # how often the dispatcher looks at the executor (dead workers within 5 s)
BUSY_BACKOFF_S = 5.0  # the longest pause between rounds while the store is locked
ADOPT_S = 5.0
HOUSEKEEPING_S = 300.0  # retention and quotas: also whenever a run ends
REAP_S = 2.0  # how often the dispatcher marks runs whose process is gone
LEASE = "dispatcher"  # the store's lease that chooses its one dispatcher


class Dispatcher:
    """The dispatcher half of :class:`cnnviz.runs.manager.RunManager` (a mixin). It uses the
    manager's ``store``, ``executor``, ``limits``, ``token``, ``holder`` and ``lease_s``, and
    the state the manager's constructor sets up: ``_wake`` (a Condition), ``_closed`` (an
    Event), ``_dispatcher``, ``_start_lock``, ``_housekeeping_lock``, ``_ended``,
    ``_stopping``, ``dispatching`` and ``busy_since``."""

    def _ensure_dispatcher(self) -> None:
        with self._start_lock:
            if self._closed.is_set():
                return
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(
                    target=self._dispatch_loop, name="cnnviz-dispatcher", daemon=True
                )
                self._dispatcher.start()

    def housekeeping(self) -> list[tuple[str, str]]:
        """Retention and quotas (:func:`cnnviz.classroom.runs_to_trim`): old student runs and
        students over their quota lose their weights (the metrics stay); returns what went.
        One at a time: a second caller (the dispatcher's own round and a direct call) waits,
        then trims from what the first left, so no run is trimmed twice or for a stale size."""
        with self._housekeeping_lock:
            trimmed = runs_to_trim(self.store.disk_usage(), self.limits)
            for run_id, reason in trimmed:
                self.store.trim_weights(run_id, reason)
        return trimmed

    def _dispatch_loop(self) -> None:
        """Rounds of: what ended, adoption and housekeeping now and then, starting queued
        runs. A store locked by another program (a backup holding it for a while) pauses
        the rounds with a growing wait, said once when it starts and once when it ends; what
        ended meanwhile is kept and marked when the store is free again. Any other error is
        logged once per kind, never killing the dispatcher."""
        last = {"adopt": 0.0, "housekeeping": 0.0, "reap": 0.0, "renewed": float("-inf")}
        pause, logged = DISPATCH_S, set()
        while not self._closed.is_set():
            try:
                self._round(last)
            except (StoreError, sqlite3.OperationalError) as exc:  # locked: wait, try again
                if self.busy_since is None:
                    self.busy_since = time.monotonic()
                    log.warning("dispatcher: %s; it waits for the store and tries again", exc)
                pause = min(pause * 2, BUSY_BACKOFF_S)
            except Exception as exc:  # never let the dispatcher die: log (once a kind), go on
                if (kind := f"{type(exc).__name__}: {exc}") not in logged:
                    logged.add(kind)
                    log.exception("dispatcher error")
                else:
                    log.debug("dispatcher error again: %s", kind)
                pause = min(pause * 2, BUSY_BACKOFF_S)
            else:
                if self.busy_since is not None:
                    log.warning(
                        "dispatcher: the store is usable again (after %.0f s)",
                        time.monotonic() - self.busy_since,
                    )
                    self.busy_since = None
                pause, logged = DISPATCH_S, set()
            with self._wake:
                self._wake.wait(pause)

    def _round(self, last: dict[str, float]) -> None:
        """One round: the lease (renewed every ``RENEW_S`` while held, tried every round while
        another process holds it), what ended, and for the lease's holder reaping, adoption
        and housekeeping now and then, and starting queued runs. ``last``: when each was last
        done (``time.monotonic``)."""
        now = time.monotonic()
        if not self.dispatching or now - last["renewed"] >= RENEW_S:
            self._hold_lease()
            if self.dispatching:
                last["renewed"] = now
        ended: list[Ended] = []
        if self.dispatching or self.started_here:  # a waiting process starts no worker
            ended = self.executor.poll()
            self._handle_ended(ended)
            self._pass_on_stops()
        if not self.dispatching:
            return
        if now - last["reap"] > REAP_S:
            self.store.reap()  # a dead dispatcher's runs: their workers left with it
            last["reap"] = now
        if now - last["adopt"] > ADOPT_S:
            self.store.beat_queued(self.token)
            if adopted := self.store.adopt_queued(self.token):
                log.info("queued runs adopted after a restart: %s", adopted)
            last["adopt"] = now
        if ended or now - last["housekeeping"] > HOUSEKEEPING_S:
            self.housekeeping()
            last["housekeeping"] = now
        self._dispatch()

    def _hold_lease(self) -> None:
        """Take or renew the store's dispatcher lease; says when this process gains or loses
        it."""
        held = self.store.hold_lease(LEASE, self.holder, self.lease_s)
        if held != self.dispatching:
            log.info("this process %s dispatches runs", "now" if held else "no longer")
        self.dispatching = held

    def _handle_ended(self, ended: list[Ended] | None = None) -> None:
        """Mark the runs whose worker died, or was ended because Stop's grace ran out (kept
        until the store takes the mark)."""
        for e in ended or ():
            self._stopping.discard(e.run_id)
        self._ended.extend(
            e for e in ended or () if e.reason is not None or e.stopped_after_s is not None
        )
        while self._ended:
            e = self._ended[0]
            if e.stopped_after_s is not None:
                if self.store.set_status(e.run_id, "stopped", only_live=True):
                    self.store.set_notice(e.run_id, stopped_text(e.stopped_after_s))
                    log.warning("run %s: stopped by ending its worker", e.run_id)
            else:
                text = INTERRUPTED.format(reason=e.reason)
                if self.store.set_status(e.run_id, "interrupted", text, only_live=True):
                    log.warning("run %s: %s", e.run_id, text)
            self._ended.pop(0)

    def _pass_on_stops(self) -> None:
        """A Stop asked through the store (another server process, a page of another
        manager) reaches this executor too, so its grace period runs here as well."""
        for rid in self.executor.alive() - self._stopping:
            if self.store.stop_requested(rid):
                self._stopping.add(rid)
                self.executor.cancel(rid)

    def _dispatch(self) -> None:
        while self.executor.free_slots() > 0:
            queued = self.store.queued(managed=True)  # whichever process's manager queued them
            if not queued:
                return
            running, served = self.store.user_load()
            addresses, at_address = self.store.address_load()
            run_id = Q.next_run(
                queued, running, served, self.limits.max_running_per_user,
                addresses, at_address, self.limits.max_running_per_address,
            )  # fmt: skip
            if run_id is None:
                return  # everyone waiting already has a run training (or their address has)
            try:  # read before the claim: a store locked after it never strands a claimed run
                config = self.store.get(run_id).config
            except StoreBusyError:
                raise
            except (KeyError, StoreError) as exc:  # deleted, or a row that cannot be read
                log.warning("run %s cannot start: %s", run_id, exc)
                self.store.set_status(run_id, "failed", NOT_STARTED.format(error=exc))
                continue
            if not self.store.claim(run_id, self.token, (LEASE, self.holder)):
                if self.store.lease_holder(LEASE) != self.holder:  # taken over meanwhile
                    self.dispatching = False
                    return
                continue  # stopped meanwhile: look again
            try:
                self.started_here = True
                self.executor.start(run_id, config)
            except Exception as exc:  # the run says why; the queue goes on
                log.exception("run %s could not start", run_id)
                self.store.set_status(run_id, "failed", NOT_STARTED.format(error=exc))
