"""The seed's LeNet ablation (sigmoid vs ReLU, d2l 7.6) at the lab's quick size over 5 seeds,
headless through the CLI, timed end to end: does ReLU beat sigmoid with a 95% interval that
leaves out 0, and how long do the 10 runs take on this machine?

    .venv/bin/python benchmarks/ablation_seeds_bench.py [--seeds 5] [--size quick] [--threads N]

It runs ``python -m cnnviz ablation lenet --size quick --seeds 5 --json --no-store`` (the same
code a teacher runs; nothing is stored), then prints every variant's final validation accuracy
as mean ± sd, the paired interval, the verdict, the wall time (process start to the last line,
imports and dataset loading included), the CPU time the runs used and the load average before
and after (other work on the machine slows the runs). Exit status 1 when the interval does not
leave out 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--size", default="quick", choices=["quick", "classroom", "full"])
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    cmd = [sys.executable, "-m", "cnnviz", "ablation", "lenet", "--size", args.size,
           "--seeds", str(args.seeds), "--json", "--no-store"]  # fmt: skip
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    epochs = [x for x in lines if x["kind"] == "epoch"]
    result = next(x for x in lines if x["kind"] == "comparison")
    train_s = sum(e["seconds"] for e in epochs)
    print(f"LeNet sigmoid vs ReLU · {args.size} · {args.seeds} seeds · "
          f"{len(epochs) // 2} runs of {max(e['epoch'] for e in epochs)} epochs")  # fmt: skip
    for v in result["variants"]:
        sd = v["final val acc sd"] or 0.0
        print(f"  {v['variant']:<11} final val acc {100 * v['final val acc']:5.1f} ± "
              f"{100 * sd:4.1f} %  (seeds: {v['seeds']})")  # fmt: skip
    (pair,) = result["pairs"]
    print(
        f"  {pair['b']} − {pair['a']}: {100 * pair['mean']:+.1f} points, 95% CI "
        f"[{100 * pair['low']:+.1f}, {100 * pair['high']:+.1f}] over {pair['n']} seeds"
    )
    for line in result["verdicts"]:
        print(f"  verdict: {line}")
    print(
        f"wall time {wall:.1f} s (training epochs {train_s:.1f} s), CPU time {cpu:.1f} s; "
        f"load average {load0[0]:.1f} before, {load1[0]:.1f} after; {os.cpu_count()} CPUs"
    )
    ok = pair["low"] > 0 and pair["b"] == "LeNet-ReLU"
    print("ReLU beats sigmoid beyond seed noise" if ok else "NOT beyond seed noise")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
