"""How long a run will take here, said as a range, and updated while it trains (issue 16).

Three sources, best first:

1. **Past runs of the same network here** (same spec, batch size and device, from the run
   store): their measured training speed and their per-epoch validation and saving time.
2. **A speed test of this machine**: each worker process times a few LeNet training and
   evaluation batches when it starts (:func:`probe_speed`) and leaves the result in the store;
   other networks are scaled from LeNet by their multiply-adds (:func:`relative_cost`, fitted
   on this project's CPU dev machine).
3. **Built-in numbers** for a CPU or a GPU when neither is known (the widest range).

While a run trains, :func:`live_estimate` replaces all of that with what the run itself
measures: its batches so far, its finished epochs.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import dataclass

from cnnviz.config import RunConfig

LENET_MACS = 416_520  # one 28×28 forward pass of d2l's LeNet
# Per-example cost relative to LeNet on the same machine: a fixed part (data, optimiser,
# elementwise work) plus a part that grows with the multiply-adds. Fitted on the 2-core dev
# machine (benchmarks/estimate_bench.py prints the fit): training and evaluation.
TRAIN_COST = (0.9, 0.105)
EVAL_COST = (0.8, 0.26)
FALLBACK = {  # LeNet examples/s when this machine was never measured (widest range)
    "cpu": {"train": 8_000.0, "eval": 50_000.0},
    "cuda": {"train": 60_000.0, "eval": 400_000.0},
}
START_S = 0.5  # a warm worker: build the network, the first snapshot, the first batch
SAVE_BYTES_PER_S = 300e6  # checkpoint writes per epoch
RANGES = {"history": (0.85, 1.2), "probe": (0.67, 1.5), "fallback": (0.4, 2.5), "live": (0.9, 1.1)}
BASIS = {
    "history": "from earlier runs of this network here",
    "probe": "from a speed test of this machine",
    "fallback": "a rough guess: this machine has not been measured yet",
    "live": "from this run's own speed so far",
}
SPEED_KEY = "speed:{host}:{device}"
# How durations read; the pages pass their language's (ui/locales: the "time" section).
SECONDS_WORDS = {
    "unknown": "unknown",
    "under_1s": "under 1 s",
    "s": "{n} s",
    "min": "{n} min",
    "h": "{n:.1f} h",
    "about": "about {t} ({span})",
}


@dataclass(frozen=True)
class Estimate:
    """Seconds, with the range it is expected to fall in and what it is based on."""

    seconds: float
    low: float
    high: float
    basis: str

    @classmethod
    def of(cls, seconds: float, basis: str) -> Estimate:
        lo, hi = RANGES[basis]
        return cls(seconds, seconds * lo, seconds * hi, basis)

    def __add__(self, other: Estimate) -> Estimate:
        worst = max(self.basis, other.basis, key=list(RANGES).index)
        return Estimate(
            self.seconds + other.seconds, self.low + other.low, self.high + other.high, worst
        )

    def text(self, words: dict = SECONDS_WORDS) -> str:
        """'about 40 s (30 s – 1 min)'."""
        t, s = format_seconds(self.seconds, words), span(self.low, self.high, words)
        return words["about"].format(t=t, span=s)


def format_seconds(seconds: float, words: dict = SECONDS_WORDS) -> str:
    """'under 1 s', '40 s', '3 min', '2.5 h' (``words``: how they read, SECONDS_WORDS)."""
    if not math.isfinite(seconds):
        return words["unknown"]
    if seconds < 1:
        return words["under_1s"]
    if seconds < 90:
        return words["s"].format(n=round(seconds))
    if seconds < 5400:
        return words["min"].format(n=round(seconds / 60))
    return words["h"].format(n=seconds / 3600)


def span(low: float, high: float, words: dict = SECONDS_WORDS) -> str:
    a, b = format_seconds(low, words), format_seconds(high, words)
    return a if a == b else f"{a} – {b}"


def relative_cost(macs: int, kind: str = "train") -> float:
    """Seconds per example of a network with ``macs`` multiply-adds, in LeNet's seconds."""
    c0, c1 = TRAIN_COST if kind == "train" else EVAL_COST
    return c0 + c1 * macs / LENET_MACS


def sizes(config: RunConfig) -> tuple[int, int]:
    """(training examples, validation examples) of a run."""
    n = 60_000 if config.limit is None else min(config.limit, 60_000)
    v = 10_000 if config.val_limit is None else min(config.val_limit, 10_000)
    return n, v


def _params_bytes(spec) -> int:
    from cnnviz.models import count_parameters

    return 4 * count_parameters(spec)


@dataclass(frozen=True)
class Speeds:
    """LeNet's examples/s here (training, evaluation) and where they come from."""

    train: float
    eval: float
    basis: str  # "probe" or "fallback"


def speeds_from(setting: str | None, device: str) -> Speeds:
    """The speed test a worker stored (see :func:`probe_speed`), else the built-in numbers."""
    if setting:
        try:
            d = json.loads(setting)
            if d["train"] > 0 and d["eval"] > 0:
                return Speeds(float(d["train"]), float(d["eval"]), "probe")
        except (ValueError, KeyError, TypeError):
            pass  # a damaged setting: the built-in numbers
    f = FALLBACK.get(device, FALLBACK["cpu"])
    return Speeds(f["train"], f["eval"], "fallback")


def estimate_run(
    config: RunConfig, device: str, speeds: Speeds, history: list[dict] | None = None
) -> Estimate:
    """The whole run, from Start to its last epoch, on ``device`` ("cpu" or "cuda").

    ``history``: earlier epochs of the same network, batch size and device (dicts with
    ``examples_per_s``, ``seconds``, ``n_train``, ``n_val``): when there are any, their
    measured speed and per-epoch extra time are used instead of the model.
    """
    from cnnviz.train import count_macs

    n, v = sizes(config)
    save = _params_bytes(config.spec) / SAVE_BYTES_PER_S
    if history:
        rate = statistics.median(h["examples_per_s"] for h in history)
        # what an epoch costs beyond training (validation, saving), per validation example
        extra = statistics.median(
            max(0.0, h["seconds"] - h["n_train"] / h["examples_per_s"]) / max(h["n_val"], 1)
            for h in history
        )
        epoch = n / rate + v * extra
        return Estimate.of(START_S + config.num_epochs * epoch + save, "history")
    macs = count_macs(config.spec)
    train = relative_cost(macs, "train") / speeds.train
    evaluate = relative_cost(macs, "eval") / speeds.eval
    epoch = n * train + v * evaluate + save
    start = START_S + 3 * train * config.batch_size  # the first batches pay for warm-up
    return Estimate.of(start + config.num_epochs * epoch, speeds.basis)


def evaluation_seconds(spec, n: int, speeds: Speeds) -> float:
    """Evaluating ``n`` examples (e.g. a confusion matrix over the test set)."""
    from cnnviz.train import count_macs

    return n * relative_cost(count_macs(spec), "eval") / speeds.eval


def live_estimate(
    config: RunConfig,
    started: float | None,
    metrics: list[dict],
    progress: dict | None,
    before: Estimate,
    now: float | None = None,
) -> Estimate:
    """What is left of a running run, from its own measurements: the finished epochs' times
    and the current epoch's batches. Before the first measurement: ``before`` (the estimate at
    Start) minus the time already spent."""
    now = time.time() if now is None else now
    elapsed = 0.0 if started is None else max(0.0, now - started)
    done = len(metrics)
    left_epochs = config.num_epochs - done
    if done:
        per_epoch = statistics.mean(m["seconds"] for m in metrics)
        frac = 0.0
        if progress and progress.get("epoch", 0) > done:
            frac = progress["batch"] / progress["num_batches"]
        return Estimate.of(max(0.0, (left_epochs - frac) * per_epoch), "live")
    if progress and progress.get("batch", 0) >= 3 and elapsed > 0:
        frac = progress["batch"] / progress["num_batches"]
        n, v = sizes(config)
        train_epoch = elapsed / frac  # includes the start-up: a little pessimistic
        evaluate = before.seconds / max(config.num_epochs, 1) * 0.15 * v / max(n, 1)
        left = (1 - frac) * train_epoch + (left_epochs - 1) * train_epoch
        return Estimate.of(left + left_epochs * evaluate, "live")
    rest = max(0.0, before.seconds - elapsed)
    return Estimate(rest, max(0.0, before.low - elapsed), max(0.0, before.high - elapsed),
                    before.basis)  # fmt: skip


def probe_speed(device: str = "cpu", seconds: float = 0.6) -> dict:
    """Time LeNet training and evaluation batches here (random data, batch 128 / 1024): the
    machine's speed today, which the estimates scale from. About ``seconds`` long."""
    import torch
    from torch.nn import functional as F

    from cnnviz.models import PRESETS, build_model

    dev = torch.device(device)
    net = build_model(PRESETS["LeNet"], generator=torch.Generator().manual_seed(0)).to(
        dev, memory_format=torch.channels_last
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(0)
    X = torch.rand(128, 1, 28, 28, generator=g).to(dev)
    y = torch.randint(0, 10, (128,), generator=g).to(dev)

    def step():
        loss = F.cross_entropy(net(X), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    def timed(fn, batch: int) -> float:
        fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t, k = time.perf_counter(), 0
        while k < 3 or time.perf_counter() - t < seconds / 2:
            fn()
            k += 1
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return k * batch / (time.perf_counter() - t)

    train = timed(step, 128)
    Xe = torch.rand(1024, 1, 28, 28, generator=g).to(dev)
    net.eval()
    with torch.inference_mode():
        evaluate = timed(lambda: net(Xe), 1024)
    return {"train": train, "eval": evaluate, "time": time.time()}
