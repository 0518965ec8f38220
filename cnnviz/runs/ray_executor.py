"""Runs on a Ray cluster (``CNNVIZ_EXECUTOR=ray``), for a class that outgrows one machine.

Each slot is a warm Ray actor (:class:`RayRun`): it reads the dataset on its own node once and
trains one run at a time, streaming the run's events back (tensors as safetensors bytes). Ray
workers never open the store's files — they may be on other hosts. The app side receives the
events in a thread per run, writes the store (:class:`cnnviz.runs.execute.StoreWriter`), keeps
the run's heartbeat and turns its stop flag into a call on the actor. An actor that dies (its
node removed, its process killed) ends its run as interrupted with the finished epochs kept,
and a new actor takes its slot.

``CNNVIZ_RAY_ADDRESS`` names the cluster (``ray://host:10001`` or ``host:6379``); empty starts
a local Ray on demand. ``CNNVIZ_WORKERS`` runs at once (default: the cluster's CPUs, one
each); on a cluster with GPUs each run asks for ``CNNVIZ_RAY_GPUS`` of one (default: the
GPUs shared out between the slots) and caps its memory to that fraction too (Ray's fractions
only schedule).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from cnnviz.config import RunConfig, setting
from cnnviz.runs.execute import (
    StoreWriter,
    beat_loop,
    decode_event,
    encode_event,
    run_events,
)
from cnnviz.runs.executors import SHUTDOWN_S, Books, Ended
from cnnviz.runs.store import RunStore
from cnnviz.runs.threads import torch_threads

log = logging.getLogger("cnnviz.runs")
ENV_ADDRESS = "CNNVIZ_RAY_ADDRESS"
ENV_GPUS = "CNNVIZ_RAY_GPUS"
# Why a run on Ray was interrupted (cnnviz.runs.executors.INTERRUPTED's reason): its actor was
# lost (its node or process died), or anything else went wrong on the app's side of it.
RAY_LOST = "the Ray worker training it was lost ({error}: its node or process died)"
RAY_FAILED = "the Ray executor failed ({error})"


class RayRun:
    """A warm Ray actor that trains one run at a time and streams its events back."""

    def __init__(self, threads: int | None = None, gpu_fraction: float = 0.0):
        torch_threads(threads)
        self.stops: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.data = None
        try:
            from cnnviz.data import load_fashion_mnist

            self.data = load_fashion_mnist()
        except Exception as exc:  # noqa: BLE001 - each run says it (train() tries again, with the message)
            log.warning("Fashion-MNIST could not be read on this node: %s", exc)
        import torch

        if gpu_fraction and torch.cuda.is_available():
            torch.cuda.set_per_process_memory_fraction(min(1.0, gpu_fraction))
        from cnnviz.train import warm_up

        warm_up()

    def _event(self, run_id: str) -> threading.Event:
        with self.lock:
            return self.stops.setdefault(run_id, threading.Event())

    def stop(self, run_id: str) -> None:
        self._event(run_id).set()

    def where(self) -> tuple[str, int]:
        import ray

        return ray.get_runtime_context().get_node_id(), os.getpid()

    def run(self, run_id: str, config: dict):
        try:
            for ev in run_events(RunConfig.from_dict(config), self._event(run_id), self.data):
                yield encode_event(ev)
        finally:
            with self.lock:
                self.stops.pop(run_id, None)


class RayExecutor(Books):
    """``slots`` warm :class:`RayRun` actors on a Ray cluster (connected in the background)."""

    kind = "ray"

    def __init__(
        self,
        store: RunStore,
        slots: int | None = None,
        address: str | None = None,
        threads: int | None = None,
        cpus_per_run: float = 1.0,
        gpus_per_run: float | None = None,
        grace_s: float | None = None,
    ):
        """``grace_s``: how long a stopped run may take to leave its batch before its actor is
        killed (default ``$CNNVIZ_STOP_GRACE_S``)."""
        self.store = store
        self.grace_s = float(setting("CNNVIZ_STOP_GRACE_S") if grace_s is None else grace_s)
        self._stopping: set[str] = set()
        self._killed: set[str] = set()
        self.slots = max(1, int(slots)) if slots else 1
        self._want_slots = slots
        self.address = address if address is not None else setting(ENV_ADDRESS)
        self.threads = threads or max(1, int(cpus_per_run))  # a run uses the CPUs it asked for
        self.cpus_per_run = cpus_per_run
        self.gpus_per_run = gpus_per_run
        if gpus_per_run is None:
            self.gpus_per_run = setting(ENV_GPUS)
        self._init_books()  # run id → its actor
        self._idle: list = []  # actors ready for a run (scheduled, data read, warmed up)
        self._pending: dict = {}  # actors not placed or not warm yet → their readiness ref
        self._actors = 0
        self._threads: list[threading.Thread] = []
        self._started_ray = False
        self._closed = False
        self.error: str | None = None  # why Ray could not be reached, for the page
        self.ready = threading.Event()
        threading.Thread(target=self._connect, name="cnnviz-ray-connect", daemon=True).start()

    # -- connecting -------------------------------------------------------------------------
    def _connect(self) -> None:
        try:
            import ray

            if not ray.is_initialized():
                package = str(Path(__file__).resolve().parents[1])
                ray.init(
                    address=self.address,
                    runtime_env={
                        "py_modules": [package],
                        "env_vars": {"OMP_WAIT_POLICY": "PASSIVE"},  # see executors.py
                    },
                    logging_level=logging.WARNING,
                    include_dashboard=False,
                )
                self._started_ray = self.address is None
            resources = ray.cluster_resources()
            if not self._want_slots:
                self.slots = max(1, int(resources.get("CPU", 1) // self.cpus_per_run))
            gpus = float(resources.get("GPU", 0))
            if self.gpus_per_run is None:
                self.gpus_per_run = min(1.0, gpus / self.slots) if gpus else 0.0
            self._actor_class = ray.remote(RayRun).options(
                num_cpus=self.cpus_per_run, num_gpus=self.gpus_per_run, max_concurrency=2
            )
            with self._lock:
                self._fill()
            log.info("Ray executor ready: %d slots (%s)", self.slots, self.address or "local")
        except Exception as exc:  # the runs wait; the page shows why
            self.error = f"Ray could not be started or reached: {type(exc).__name__}: {exc}"
            log.exception("Ray executor")
        finally:
            self.ready.set()

    def _fill(self) -> None:
        """Start actors up to ``slots``; each is usable once Ray has placed and warmed it (a
        slot on a lost node waits for capacity instead of taking runs it cannot train)."""
        while self._actors < self.slots:
            actor = self._actor_class.remote(self.threads, self.gpus_per_run or 0.0)
            self._pending[actor.where.remote()] = actor
            self._actors += 1

    def _promote(self) -> None:
        import ray

        if not self._pending:
            return
        done, _ = ray.wait(list(self._pending), num_returns=len(self._pending), timeout=0)
        for ref in done:
            actor = self._pending.pop(ref)
            try:
                ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - it died before it was ready: its slot is started anew
                log.warning("a Ray actor could not start: %s", exc)
                self._actors -= 1
                continue
            self._idle.append(actor)

    # -- the executor interface -------------------------------------------------------------
    def free_slots(self) -> int:
        if not self.ready.is_set() or self.error or self._closed:
            return 0
        with self._lock:
            self._fill()
            self._promote()
            return len(self._idle)

    def start(self, run_id: str, config: RunConfig) -> None:
        with self._lock:
            actor = self._idle.pop(0)  # the dispatcher asked free_slots first
            self._runs[run_id] = actor
        t = threading.Thread(
            target=self._consume, args=(run_id, actor, config),
            name=f"cnnviz-ray-{run_id}", daemon=True,
        )  # fmt: skip
        self._threads.append(t)
        t.start()

    def _consume(self, run_id: str, actor, config: RunConfig) -> None:
        """The app side of one run: its events into the store, its heartbeat, its stop."""
        import ray

        writer = StoreWriter(self.store, run_id)
        stop_event, done = threading.Event(), threading.Event()
        beat = threading.Thread(
            target=beat_loop,
            args=(self.store, run_id, stop_event, done, None, lambda: actor.stop.remote(run_id)),
            daemon=True,
        )
        beat.start()
        reason = None
        try:
            stream = actor.run.options(num_returns="streaming").remote(run_id, config.to_dict())
            for ref in stream:
                writer.apply(decode_event(ray.get(ref)))
        except (
            ray.exceptions.RayActorError,
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.ObjectLostError,
        ) as exc:
            reason = RAY_LOST.format(error=type(exc).__name__)
        except Exception as exc:  # the run says why; the queue goes on
            log.exception("run %s on Ray", run_id)
            reason = RAY_FAILED.format(error=f"{type(exc).__name__}: {exc}")
        finally:
            writer.flush(final=True)
            done.set()
            beat.join(timeout=5)
            with self._lock:
                self._runs.pop(run_id, None)
                self._stopping.discard(run_id)
                killed = run_id in self._killed
                self._killed.discard(run_id)
                if reason is None and not killed and not self._closed:
                    self._idle.append(actor)
                else:
                    self._actors -= 1  # a dead (or closing) actor leaves its slot
                if killed:
                    self._ended.append(Ended(run_id, stopped_after_s=self.grace_s))
                else:
                    self._ended.append(Ended(run_id, reason))

    def cancel(self, run_id: str) -> None:
        """Ask the actor to stop the run between batches; kill it when the run still trains
        after the grace period (a new actor takes its slot)."""
        with self._lock:
            actor = self._runs.get(run_id)
            first = actor is not None and run_id not in self._stopping
            if first:
                self._stopping.add(run_id)
        if actor is None:
            return
        actor.stop.remote(run_id)
        if first and not self._closed:
            timer = threading.Timer(self.grace_s, self._kill_if_training, (run_id, actor))
            timer.daemon = True
            timer.start()

    def _kill_if_training(self, run_id: str, actor) -> None:
        import ray

        with self._lock:
            if self._runs.get(run_id) is not actor or self._closed:
                return  # it stopped in time
            self._killed.add(run_id)
        log.warning("run %s: still training %g s after Stop; its Ray actor is killed",
                    run_id, self.grace_s)  # fmt: skip
        try:
            ray.kill(actor)
        except Exception as exc:  # noqa: BLE001 - already gone with its node
            log.info("ray.kill: %s", exc)

    def shutdown(self) -> None:
        import ray

        self._closed = True
        for run_id in list(self.alive()):
            self.cancel(run_id)
        for t in self._threads:
            t.join(timeout=SHUTDOWN_S)
        with self._lock:
            actors = [*self._idle, *self._pending.values(), *self._runs.values()]
            self._idle, self._pending = [], {}
        for actor in actors:
            try:
                ray.kill(actor)
            except Exception as exc:  # noqa: BLE001 - already gone with its node
                log.info("ray.kill: %s", exc)
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
