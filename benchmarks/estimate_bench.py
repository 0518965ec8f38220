"""Do the time estimates hold? Estimate against measured, on this machine.

A fresh run store and the app's own executor (one warm worker process, which runs its speed
test when it starts). For each case the estimate the page would show at Start is printed
beside the time from submitting the run to its last epoch being stored (what a user waits):

* LeNet on 10,000 examples, 2 epochs, and on the full data, 2 epochs;
* the ablation lab's quick LeNet group (sigmoid vs ReLU, 2,000 examples, 2 epochs each);
* the same LeNet 10,000 run again, now estimated from the store's record of the first;
* two groups of larger networks, scaled from the speed test by their multiply-adds: the quick
  VGG group (56, 16 and 16 px) and the classroom ResNet group (three ResNet-18s at 32×32).

The first estimates come from the speed test alone (an empty store knows no earlier runs).
Goal: every estimate within 1.5× of the measured time.

    .venv/bin/python benchmarks/estimate_bench.py [--threads N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from cnnviz import ablation as A
from cnnviz.estimates import SPEED_KEY, estimate_run, speeds_from
from cnnviz.models import PRESETS
from cnnviz.runs import HOST, RunManager, RunStore
from cnnviz.runs.executors import ProcessExecutor
from cnnviz.train import RunConfig

ROOT = Path(__file__).resolve().parents[1]


def wait_all(m: RunManager, ids: list[str]) -> float:
    t0 = time.perf_counter()
    for rid in ids:
        status = m.wait(rid, 3600)
        if status != "finished":
            raise SystemExit(f"run {rid} ended {status}: {m.store.get(rid).error}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads of the worker")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cnnviz_estimates_"))
    store = RunStore(home)
    m = RunManager(store, executor=ProcessExecutor(home, 1, threads=args.threads))
    key = SPEED_KEY.format(host=HOST, device="cpu")
    deadline = time.time() + 180
    while store.setting(key) is None:  # the worker is warm once its speed test is stored
        if time.time() > deadline:
            raise SystemExit("the worker did not report its speed test")
        time.sleep(0.2)
    speeds = speeds_from(store.setting(key), "cpu")
    print(f"speed test: LeNet {speeds.train:,.0f} training, {speeds.eval:,.0f} evaluation "
          f"examples/s; multiply-add scale {speeds.train_scale:.2f} training, "
          f"{speeds.eval_scale:.2f} evaluation; {store.setting(key)}", flush=True)  # fmt: skip
    lenet = PRESETS["LeNet"]
    cases = [
        ("LeNet, 10,000 examples, 2 epochs",
         [RunConfig(lenet, 2, limit=10_000, val_limit=2_500, device="cpu")]),
        ("LeNet, all 60,000 examples, 2 epochs",
         [RunConfig(lenet, 2, device="cpu")]),
        ("Ablation lab: quick LeNet group (2 runs)",
         A.group_configs("lenet", "quick", device="cpu")),
        ("LeNet, 10,000 examples, again (from the store's history)",
         [RunConfig(lenet, 2, limit=10_000, val_limit=2_500, device="cpu")]),
        ("Ablation lab: quick VGG group (3 runs)", A.group_configs("vgg", "quick", device="cpu")),
        ("Ablation lab: classroom ResNet group (3 runs, 32×32)",
         A.group_configs("resnet", "classroom", device="cpu")),
    ]  # fmt: skip
    rows = []
    for label, configs in cases:
        ests = [estimate_run(c, "cpu", speeds, store.history(c, "cpu")) for c in configs]
        est = sum(e.seconds for e in ests)
        low, high = sum(e.low for e in ests), sum(e.high for e in ests)
        ids = m.submit_many([(c, label, None, None) for c in configs])
        measured = wait_all(m, ids)
        for rid in ids:  # what the store recorded per epoch (tests/test_estimates.py's data)
            print("  epochs:", [{k: round(r[k], 2) for k in ("examples_per_s", "seconds")}
                                for r in store.metrics_rows(rid)])  # fmt: skip
        ratio = est / measured
        rows.append({"case": label, "estimate_s": est, "low_s": low, "high_s": high,
                     "measured_s": measured, "ratio": ratio, "basis": ests[0].basis})  # fmt: skip
        print(f"{label}: estimate {est:.1f} s ({low:.1f}–{high:.1f}, {ests[0].basis}), "
              f"measured {measured:.1f} s, ratio {ratio:.2f}", flush=True)  # fmt: skip
    m.shutdown()
    print("\n| case | estimate (range) | measured | estimate / measured | from |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['estimate_s']:.0f} s ({r['low_s']:.0f}–{r['high_s']:.0f} s) "
              f"| {r['measured_s']:.0f} s | {r['ratio']:.2f} | {r['basis']} |")  # fmt: skip
    worst = max(max(r["ratio"], 1 / r["ratio"]) for r in rows)
    print(f"\nworst factor: {worst:.2f}× (goal ≤ 1.5×)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
