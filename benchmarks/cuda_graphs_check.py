"""CUDA graphs in cnnviz's trainer: same accuracy, how much faster.

Trains each model twice from the same seed, once with the step replayed from a CUDA graph
(``CNNVIZ_CUDA_GRAPHS=1``: opt-in until this check has passed on a real GPU) and once eagerly
(``CNNVIZ_CUDA_GRAPHS=0``, the default), and prints both runs epoch by epoch. bf16
and cuDNN's non-deterministic kernels make the two runs drift apart a little, so the check is
on the last epoch's test accuracy: it fails (exit status 1) when the two differ by more than
``--tolerance``.

    python benchmarks/cuda_graphs_check.py [--device cuda] [--epochs 10] [--resnet-epochs 3]
        [--resnet-limit 20000] [--tolerance 0.02]

On a machine without CUDA both runs are eager: use it there only as a dry run of the script.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cnnviz.data import load_fashion_mnist
from cnnviz.models import PRESETS
from cnnviz.train import ENV_CUDA_GRAPHS, RunConfig, train

REPO = Path(__file__).resolve().parents[1]


def one_run(cfg: RunConfig, data, graphs: bool) -> list[dict]:
    os.environ[ENV_CUDA_GRAPHS] = "1" if graphs else "0"
    epochs = []
    for rec in train(cfg, data=data):
        if rec["kind"] == "notice":
            print("   notice:", rec["message"], flush=True)
        elif rec["kind"] == "epoch":
            epochs.append(rec)
            print(f"   {'graphs' if graphs else 'eager '} epoch {rec['epoch']:2}: "
                  f"train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.3f} | "
                  f"test acc {rec['val_acc']:.3f} | {rec['examples_per_s']:9,.0f} ex/s",
                  flush=True)  # fmt: skip
    return epochs


def compare(name: str, epochs: int, limit: int | None, device: str, data, tol: float) -> bool:
    cfg = RunConfig(PRESETS[name], num_epochs=epochs, limit=limit, device=device)
    print(f"== {name}, {epochs} epochs, {limit or 60000} training examples, {device}", flush=True)
    with_graphs = one_run(cfg, data, graphs=True)
    eager = one_run(cfg, data, graphs=False)
    diff = abs(with_graphs[-1]["val_acc"] - eager[-1]["val_acc"])
    # The first epoch pays for cuDNN's autotuning and the capture: compare the later ones.
    later = slice(1, None) if epochs > 1 else slice(None)
    speed_g = sum(r["examples_per_s"] for r in with_graphs[later]) / len(with_graphs[later])
    speed_e = sum(r["examples_per_s"] for r in eager[later]) / len(eager[later])
    ok = diff <= tol
    print(f"{name}: test acc {with_graphs[-1]['val_acc']:.4f} with graphs, "
          f"{eager[-1]['val_acc']:.4f} eager (difference {diff:.4f}, tolerance {tol}) -> "
          f"{'PASS' if ok else 'FAIL'}; training {speed_g:,.0f} vs {speed_e:,.0f} ex/s "
          f"= {speed_g / speed_e:.2f}x", flush=True)  # fmt: skip
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--resnet-epochs", type=int, default=3)
    ap.add_argument("--resnet-limit", type=int, default=20000)
    ap.add_argument("--limit", type=int, default=None, help="LeNet's subset (default: all)")
    ap.add_argument("--tolerance", type=float, default=0.02)
    args = ap.parse_args()
    data = load_fashion_mnist()
    ok = compare("LeNet", args.epochs, args.limit, args.device, data, args.tolerance)
    ok &= compare("ResNet-18", args.resnet_epochs, args.resnet_limit, args.device, data,
                  2 * args.tolerance)  # fmt: skip
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
