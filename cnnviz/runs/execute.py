"""One run, from start to end, wherever it trains.

:func:`run_events` is the run itself: it builds the seeded network, trains it (``cnnviz.train``)
and yields *events* — who trains it, first-layer snapshots, progress, epochs, checkpoints, the
end — without touching any store. Where the events go depends on the executor:

- in this host's processes (a worker process, a test's thread, the CLI), :func:`execute` hands
  them to a :class:`StoreWriter` over the store, while a beat thread keeps the run's heartbeat
  and polls its stop flag: a worker that dies stops beating;
- on a Ray cluster the worker only yields the events (tensors as safetensors bytes, see
  :func:`encode_event`); the app side decodes them and writes the store.

A store that is busy (another process holding its write lock) never fails a run: what cannot
be written yet is kept and written later.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator

from cnnviz.config import RunConfig
from cnnviz.runs.store import HEARTBEAT_S, RunStore, StoreBusyError, StoreError
from cnnviz.runs.threads import torch_threads

log = logging.getLogger("cnnviz.runs")

POINTS_EVERY_S = 0.5  # in-epoch loss points reach the store at most this often (the first at once)
FINAL_FLUSH_S = 600.0  # at the end, how long a busy store is waited for
STOP_POLL_S = 0.1
# The error of a run whose files or rows the store refused while it trained ({error}: the
# exception's type and text); cnnviz.runs.notices reads it.
NOT_SAVED = (
    "The run could not be saved ({error}): free some disk space or check the run store's "
    "folder, then train it again. The finished epochs are kept."
)


class RunGone(Exception):
    """The run was deleted from the store while it trained."""


def run_events(config: RunConfig, stop_event: threading.Event, data=None) -> Iterator[dict]:
    """Train ``config`` and yield what a store must keep, in order:

    ``owner`` (host, pid of this process), ``snapshot`` (epoch 0: the init), then per batch
    window ``progress``, per epoch ``epoch`` + ``snapshot`` + ``checkpoint``, ``notice`` when
    there is one, and last ``done`` (with the final weights) or ``failed`` (with a message for
    the user). Never raises: a run that cannot go on ends as ``failed``.
    """
    from cnnviz.features import first_stage_state
    from cnnviz.train import TrainingError, build_net, failure_message, state_dict_cpu, train

    yield {"kind": "owner", "host": socket.gethostname(), "pid": os.getpid()}
    try:
        net = build_net(config)
        yield {"kind": "snapshot", "epoch": 0, "tensors": first_stage_state(net)}
        epochs = 0
        for rec in train(config, data=data, stop_event=stop_event, net=net):
            if rec["kind"] == "done" and epochs:
                if (analysis := _analyse(net, data, config)) is not None:
                    analysis["epochs_done"] = epochs  # which weights it describes
                    yield {"kind": "analysis", "data": analysis}  # before "done": in the file
            if rec["kind"] == "epoch":
                epochs += 1
                # Between epochs the weights are consistent. The snapshot first (the checkpoint
                # carries the snapshots: a portable run), then the weights (described with
                # this epoch), then the epoch's metrics: a run cut off between two of these
                # never has metrics without the weights they belong to.
                yield {"kind": "snapshot", "epoch": rec["epoch"], "tensors": first_stage_state(net)}
                yield {"kind": "checkpoint", "state_dict": state_dict_cpu(net), "epoch": rec}
                yield rec
            else:
                yield rec
    except TrainingError as exc:
        yield {"kind": "failed", "message": str(exc)}
    except Exception as exc:  # the run ends with the message; the worker lives on
        log.exception("run failed")
        yield {"kind": "failed", "message": failure_message(exc, config)}  # memory: our words


def _analyse(net, data, config: RunConfig) -> dict | None:
    """The final evaluation a run keeps (confusion matrix, worst mistakes: cnnviz.insight),
    one more pass over its validation images; None when it cannot be made (said in the log:
    a page computes it on request instead)."""
    try:
        from cnnviz.data import load_fashion_mnist
        from cnnviz.insight import evaluate_run

        return evaluate_run(net, data if data is not None else load_fashion_mnist(), config)
    except Exception:  # noqa: BLE001 - only a bonus: the run itself has ended well
        log.exception("the final evaluation failed")
        return None


class StoreWriter:
    """Writes one run's events into a store, in order. What a busy store refuses is kept and
    written with the next event (or at the end), so a locked database delays a write but never
    fails the run."""

    def __init__(self, store: RunStore, run_id: str, token: str | None = None):
        self.store, self.run_id, self.token = store, run_id, token
        self.pending: deque[dict] = deque()
        self._points: list[tuple[float, float]] = []
        self._progress: dict | None = None
        self._points_at = 0.0
        self.gone = False

    def apply(self, ev: dict) -> None:
        if self.gone:
            return
        kind = ev["kind"]
        if kind == "progress":
            x = ev["epoch"] - 1 + ev["batch"] / ev["num_batches"]
            self._points.append((x, ev["loss"]))
            self._progress = {k: ev[k] for k in ("epoch", "batch", "num_batches", "loss")}
            now = time.monotonic()
            if self._points_at and now - self._points_at < POINTS_EVERY_S:
                return  # kept for the next write: the first point goes at once
            self._points_at = now
            self.pending.append({"kind": "points"})
        else:
            if kind == "epoch":
                self._points.append((float(ev["epoch"]), ev["train_loss"]))
            if self._points and kind != "checkpoint":
                self.pending.append({"kind": "points"})
            self.pending.append(ev)
        self.flush()

    def flush(self, final: bool = False) -> bool:
        """Write what is pending; True when nothing is left. ``final`` waits for a busy store
        (up to :data:`FINAL_FLUSH_S`)."""
        deadline = time.monotonic() + FINAL_FLUSH_S
        while self.pending and not self.gone:
            try:
                self._write(self.pending[0])
            except StoreBusyError as exc:
                if not final or time.monotonic() > deadline:
                    log.warning("run %s: %s; kept to write later", self.run_id, exc)
                    return False
                time.sleep(1.0)
                continue
            except RunGone:
                log.warning("run %s was deleted while it trained; its events are dropped",
                            self.run_id)  # fmt: skip
                self.gone = True
                self.pending.clear()
                return True
            self.pending.popleft()
        return not self.pending

    def _write(self, ev: dict) -> None:
        store, rid, kind = self.store, self.run_id, ev["kind"]
        if kind != "owner" and not store.exists(rid):
            raise RunGone(rid)
        if kind == "owner":
            store.set_owner(rid, ev["host"], ev["pid"], self.token)
        elif kind == "points":
            if self._points:
                store.add_points(rid, self._points, self._progress or {})
                self._points = []
        elif kind == "snapshot":
            store.save_snapshot(rid, ev["epoch"], ev["tensors"])
        elif kind == "epoch":
            store.add_epoch(rid, ev)
        elif kind == "checkpoint":
            store.save_state_dict(rid, ev["state_dict"], epoch=ev.get("epoch"))
        elif kind == "notice":
            store.set_notice(rid, ev["message"])
        elif kind == "analysis":
            store.save_analysis(rid, ev["data"])
        elif kind == "done":
            store.set_device(rid, ev["device"])
            status = "stopped" if ev["stopped"] else "finished"
            store.save_state_dict(rid, ev["state_dict"], status)
            store.set_status(rid, status)
        elif kind == "failed":
            store.set_status(rid, "failed", ev["message"])


def beat_loop(
    store: RunStore,
    run_id: str,
    stop_event: threading.Event,
    done: threading.Event,
    should_stop: Callable[[], bool] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Until ``done``: the run's heartbeat every second, and its stop flag (the store's, or
    ``should_stop()``, polled ten times a second) turned into ``stop_event`` / ``on_stop()``."""
    last = 0.0
    while not done.wait(STOP_POLL_S):
        stop = bool(should_stop and should_stop())
        if time.monotonic() - last >= HEARTBEAT_S:
            last = time.monotonic()
            try:
                stop = store.beat(run_id) or stop
            except KeyError:
                stop = True  # deleted meanwhile
            except StoreError as exc:  # busy: the next beat tries again
                log.info("heartbeat of run %s skipped: %s", run_id, exc)
        if stop and not stop_event.is_set():
            stop_event.set()
            if on_stop is not None:
                on_stop()


def execute(
    store: RunStore,
    run_id: str,
    config: RunConfig,
    should_stop: Callable[[], bool] | None = None,
    data=None,
    token: str | None = None,
    threads: int | None = None,
) -> Iterator[dict]:
    """Train ``config`` as run ``run_id`` in this process, storing every event as it comes, and
    yield the records a caller shows (progress, notice, epoch, done, failed).

    The run beats its own heartbeat and polls its stop flag (and ``should_stop()``) from a
    thread of its own, so Stop takes effect within a second and a dead process stops beating.
    Torch trains on ``threads`` (else ``$CNNVIZ_THREADS``, else as the process was set up).
    Errors end the run as "failed" with a message, a store that refuses its files or rows (a
    full disk, a read-only folder) included; only when the store refuses that mark too is the
    store's error raised, for the executor to mark the run.
    """
    torch_threads(threads)
    stop_event, done = threading.Event(), threading.Event()
    writer = StoreWriter(store, run_id, token)
    beat = threading.Thread(
        target=beat_loop, args=(store, run_id, stop_event, done, should_stop),
        name=f"cnnviz-beat-{run_id}", daemon=True,
    )  # fmt: skip
    beat.start()
    failed = None
    try:
        try:
            for ev in run_events(config, stop_event, data):
                writer.apply(ev)
                if ev["kind"] in ("progress", "notice", "epoch", "done", "failed"):
                    yield ev
                if writer.gone:
                    stop_event.set()
        finally:
            writer.flush(final=True)
    except (StoreError, OSError) as exc:  # not busy (that waits): a full disk, a read-only folder
        failed = {"kind": "failed", "message": _not_saved(store, run_id, writer, exc)}
    finally:
        done.set()
        beat.join(timeout=5)
    if failed is not None:
        yield failed


def _not_saved(store: RunStore, run_id: str, writer: StoreWriter, exc: BaseException) -> str:
    """End a run whose events the store refused (not busy: a full disk, a read-only folder):
    training stops (its generator was left), nothing more is written but the run's status,
    which says why; the epochs stored before are kept. Returns the message.

    Raises:
        StoreError, OSError: ``exc`` again when the database refuses the status too: the
            executor then marks the run, retrying until the store takes the mark.
    """
    error = f"{type(exc).__name__}: {exc}"
    writer.pending.clear()
    writer.gone = True  # nothing more is written for it
    message = NOT_SAVED.format(error=error)
    try:
        store.set_status(run_id, "failed", message)
    except StoreError as again:
        log.warning("run %s could not be saved (%s), nor marked (%s)", run_id, error, again)
        raise exc from None
    log.warning("run %s could not be saved (%s); it ended as failed", run_id, error)
    return message


def run_here(
    store: RunStore,
    config: RunConfig,
    name: str | None = None,
    group: str | None = None,
    preset: str | None = None,
    threads: int | None = None,
) -> tuple[str, Iterator[dict]]:
    """A run trained in the calling thread (the CLI): (run_id, records), stored and
    heart-beaten like a worker's run, and stoppable from the page through the store.

    No run manager is made: a manager's dispatcher starts its executor's worker process at
    once, and that worker (reading the dataset, warming up, timing its speed test: ~7 CPU
    seconds) took a core from the run it was never going to train.

    Raises:
        ValueError: the config cannot train (the message says why).
    """
    from cnnviz.runs.store import LIVE_TOKENS

    config.validate()
    token = uuid.uuid4().hex
    LIVE_TOKENS.add(token)  # this process trains the run: the store's reaper asks the token
    run_id = store.create(config, name, group, preset, owner_token=token, status="running")
    return run_id, execute(store, run_id, config, token=token, threads=threads)


# -- events across hosts (Ray): tensors travel as safetensors bytes ---------------------------


def encode_event(ev: dict) -> dict:
    """An event with its tensors as safetensors bytes (no pickle of torch objects)."""
    from safetensors.torch import save

    out = dict(ev)
    for key in ("tensors", "state_dict"):
        if key in out:
            tensors = {k: v.detach().cpu().contiguous() for k, v in out[key].items()}
            out[key] = save(tensors)
    return out


def decode_event(ev: dict) -> dict:
    from safetensors.torch import load

    out = dict(ev)
    for key in ("tensors", "state_dict"):
        if isinstance(out.get(key), bytes | bytearray):
            out[key] = load(bytes(out[key]))
    return out
