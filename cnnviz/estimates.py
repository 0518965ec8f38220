"""How long a run will take here, said as a range, and updated while it trains.

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
from dataclasses import dataclass, replace

from cnnviz.config import RunConfig

LENET_MACS = 416_520  # one 28×28 forward pass of d2l's LeNet
# Per-example cost relative to LeNet on the same machine: a fixed part (data, optimiser,
# elementwise work) plus a part that grows with the multiply-adds, (c0, c1) with c0 + c1 = 1
# (LeNet is what the speed test times). Fitted on the 2-core dev machine with one torch thread
# (a worker's default there) over VGG and ResNet variants from 16×16 to 224×224: training
# within 1.28× of measured for every one, evaluation within 1.7× (a smaller part of a run).
TRAIN_COST = (0.617, 0.383)
EVAL_COST = (0.759, 0.241)
# How the multiply-add part scales differs between machines (threads, vector units, a GPU), so
# the speed test also times a conv-heavy reference (ResNet-18 at 32×32, batch 32) and scales c1
# by how its cost relative to LeNet compares with the dev machine's, measured by the same speed
# test in a warm worker there (one thread): 53× in training, 25.5× in evaluation.
REF_RELATIVE = {"train": 53.0, "eval": 25.5}
FALLBACK = {  # LeNet examples/s when this machine was never measured (widest range)
    "cpu": {"train": 8_000.0, "eval": 50_000.0},
    "cuda": {"train": 60_000.0, "eval": 400_000.0},
}
START_S = 0.25  # a warm worker: build the network, the first snapshot
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
    "about_one": "about {t}",  # the range reads as the estimate itself: no parenthesis
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
        """'about 40 s (30 s – 1 min)', or 'about 2 min' when the range reads the same as the
        estimate."""
        t, s = format_seconds(self.seconds, words), span(self.low, self.high, words)
        if s == t:
            return words["about_one"].format(t=t)
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


def relative_cost(macs: int, kind: str = "train", scale: float = 1.0) -> float:
    """Seconds per example of a network with ``macs`` multiply-adds, in LeNet's seconds
    (``scale``: this machine's, :attr:`Speeds.train_scale`)."""
    c0, c1 = TRAIN_COST if kind == "train" else EVAL_COST
    return c0 + c1 * scale * macs / LENET_MACS


def _ref_scale(kind: str, lenet: float, ref) -> float:
    """c1's scale from the speed test's reference network (examples/s ``ref``), 1 without."""
    if not isinstance(ref, (int, float)) or not ref > 0 or not math.isfinite(ref):
        return 1.0
    c0, c1 = TRAIN_COST if kind == "train" else EVAL_COST
    here = lenet / ref  # the reference's cost in LeNet's, on this machine
    return min(20.0, max(0.05, (here - c0) / (REF_RELATIVE[kind] - c0)))


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
    # c1's scale here (see REF_RELATIVE), training and evaluation: 1 on the dev machine
    train_scale: float = 1.0
    eval_scale: float = 1.0


def speeds_from(setting: str | None, device: str) -> Speeds:
    """The speed test a worker stored (see :func:`probe_speed`), else the built-in numbers."""
    if setting:
        try:
            d = json.loads(setting)
            if d["train"] > 0 and d["eval"] > 0:
                train, evaluate = float(d["train"]), float(d["eval"])
                return Speeds(train, evaluate, "probe", *(
                    _ref_scale(kind, lenet, d.get(f"ref_{kind}"))
                    for kind, lenet in (("train", train), ("eval", evaluate))
                ))  # fmt: skip
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
    train = relative_cost(macs, "train", speeds.train_scale) / speeds.train
    evaluate = relative_cost(macs, "eval", speeds.eval_scale) / speeds.eval
    epoch = n * train + v * evaluate + save
    start = START_S + train * config.batch_size  # and a first batch that runs slower
    return Estimate.of(start + config.num_epochs * epoch, speeds.basis)


def evaluation_seconds(spec, n: int, speeds: Speeds) -> float:
    """Evaluating ``n`` examples (e.g. a confusion matrix over the test set)."""
    from cnnviz.train import count_macs

    return n * relative_cost(count_macs(spec), "eval", speeds.eval_scale) / speeds.eval


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


def probe_speed(device: str = "cpu", seconds: float = 0.4) -> dict:
    """Time training and evaluation batches here (random data): LeNet (batch 128 / 1024), the
    machine's speed today, which the estimates scale from, and the reference network of
    REF_RELATIVE (ResNet-18 at 32×32, batch 32 / 128), how that scale grows with the
    multiply-adds here. Examples/s. About ``seconds`` for LeNet, and as long again or a
    little more for the reference (four batches each at least)."""
    import torch

    from cnnviz.models import PRESETS

    dev = torch.device(device)
    g = torch.Generator().manual_seed(0)
    lenet = _probe(PRESETS["LeNet"], dev, g, (128, 1024), seconds)
    ref = _probe(replace(PRESETS["ResNet-18"], input_size=32), dev, g, (32, 128), seconds)
    return {"train": lenet[0], "eval": lenet[1], "ref_train": ref[0], "ref_eval": ref[1],
            "time": time.time()}  # fmt: skip


def _probe(spec, dev, g, batches: tuple[int, int], seconds: float) -> tuple[float, float]:
    """(training, evaluation) examples/s of ``spec`` on ``dev``, from random inputs."""
    import torch
    from torch.nn import functional as F

    from cnnviz.models import build_model

    net = build_model(spec, generator=g).to(dev, memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    size = spec.input_size
    X = torch.rand(batches[0], 1, size, size, generator=g).to(dev)
    y = torch.randint(0, 10, (batches[0],), generator=g).to(dev)

    def step():
        loss = F.cross_entropy(net(X), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    def timed(fn, batch: int) -> float:
        """The faster of two windows of ``seconds / 4`` (three calls at least): the first
        calls of a fresh process run slow."""
        fn()
        rates = []
        for _ in range(2):
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t, k = time.perf_counter(), 0
            while k < 3 or time.perf_counter() - t < seconds / 4:
                fn()
                k += 1
            if dev.type == "cuda":
                torch.cuda.synchronize()
            rates.append(k * batch / (time.perf_counter() - t))
        return max(rates)

    train = timed(step, batches[0])
    Xe = torch.rand(batches[1], 1, size, size, generator=g).to(dev)
    net.eval()
    with torch.inference_mode():
        evaluate = timed(lambda: net(Xe), batches[1])
    return train, evaluate
