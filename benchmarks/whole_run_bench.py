"""What a user waits for: a whole run, from Start to its last epoch, and the moment
its first point reaches the chart — cnnviz's trainer against d2l's ``train_ch6``.

The plain run is d2l's loop: a DataLoader over torchvision's FashionMNIST with ``ToTensor``
(and ``Resize`` for bigger inputs), 4 workers, and the test accuracy evaluated after every
epoch (``evaluate_accuracy_gpu``). Both sides train the same model, init, lr, batch 128,
epochs and (with ``--limit``) the same subset, and both validate on the whole test set. Each
side runs in a fresh interpreter, so each pays its own start-up (CUDA context, cuDNN, DataLoader
workers, compilation if any). cnnviz's clock starts where the app's Start button does: with the
dataset already in memory (the app reads it once per server) and ``warm_up()`` done (the app's
server runs it in the background when the first page opens; ``--cold`` skips it); the plain
clock starts with its DataLoaders built.

    python benchmarks/whole_run_bench.py [--epochs 10] [--models LeNet,ResNet-18]
        [--device cpu|cuda] [--limit N] [--cold]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from cnnviz.models import PRESETS, build_model
from cnnviz.train import RunConfig, subset_indices, train

REPO = Path(__file__).resolve().parents[1]


def plain_run(name: str, root: Path, epochs: int, device: str, limit: int | None) -> dict:
    """d2l 6.6 ``train_ch6``, timed from the first batch request to the last evaluation."""
    from train_bench import d2l_dataset

    spec = PRESETS[name]
    train_ds, test_ds = d2l_dataset(spec, root), d2l_dataset(spec, root, train=False)
    if limit is not None:
        train_ds = torch.utils.data.Subset(train_ds, subset_indices(60000, limit, 0).tolist())
    train_iter = torch.utils.data.DataLoader(train_ds, 128, shuffle=True, num_workers=4)
    test_iter = torch.utils.data.DataLoader(test_ds, 128, shuffle=False, num_workers=4)
    torch.manual_seed(0)
    net = build_model(spec).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=spec.lr)
    loss = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    first_epoch = None
    for _ in range(epochs):
        net.train()
        for X, y in train_iter:
            X, y = X.to(device), y.to(device)
            l = loss(net(X), y)
            opt.zero_grad()
            l.backward()
            opt.step()
            float(l)  # d2l's Accumulator reads the loss every batch
        net.eval()
        correct = total = 0
        with torch.no_grad():
            for X, y in test_iter:
                X, y = X.to(device), y.to(device)
                correct += int((net(X).argmax(1) == y).sum())
                total += len(y)
        if first_epoch is None:
            first_epoch = time.perf_counter() - t0
    return {"total_s": time.perf_counter() - t0, "first_epoch_s": first_epoch,
            "val_acc": correct / total}  # fmt: skip


def cnnviz_run(name: str, epochs: int, device: str, limit: int | None, cold: bool) -> dict:
    """cnnviz's ``train`` as the app's Start runs it, timed from the call."""
    from cnnviz.data import load_fashion_mnist
    from cnnviz.train import warm_up

    data = load_fashion_mnist()
    if not cold:
        warm_up()
    cfg = RunConfig(PRESETS[name], num_epochs=epochs, limit=limit, device=device)
    t0 = time.perf_counter()
    first_point = first_epoch = None
    val_acc = None
    for rec in train(cfg, data=data):
        now = time.perf_counter() - t0
        if rec["kind"] in ("progress", "epoch") and first_point is None:
            first_point = now
        if rec["kind"] == "epoch":
            first_epoch = first_epoch or now
            val_acc = rec["val_acc"]
            end = now
    return {"total_s": end, "first_point_s": first_point, "first_epoch_s": first_epoch,
            "val_acc": val_acc}  # fmt: skip


def in_fresh_process(side: str, name: str, args, root: Path) -> dict:
    cmd = [sys.executable, __file__, "--side", side, "--models", name, "--root", str(root),
           "--epochs", str(args.epochs), "--device", args.device]  # fmt: skip
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.cold:
        cmd += ["--cold"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{side} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--models", default="LeNet")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--limit", type=int, default=None, help="train on a subset (CPU checks)")
    ap.add_argument("--cold", action="store_true", help="cnnviz without warm_up()")
    ap.add_argument("--side", choices=["plain", "cnnviz"], help=argparse.SUPPRESS)
    ap.add_argument("--root", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "plain":
        print(json.dumps(plain_run(args.models, Path(args.root), args.epochs, args.device,
                                   args.limit)))  # fmt: skip
        return
    if args.side == "cnnviz":
        print(json.dumps(cnnviz_run(args.models, args.epochs, args.device, args.limit,
                                    args.cold)))  # fmt: skip
        return

    from train_bench import stage_torchvision_root

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    print(f"torch {torch.__version__}, device {args.device} ({gpu}), {args.epochs} epochs, "
          f"{args.limit or 60000:,} training images", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = stage_torchvision_root(Path(tmp))
        for name in args.models.split(","):
            plain = in_fresh_process("plain", name, args, root)
            ours = in_fresh_process("cnnviz", name, args, root)
            print(f"{args.device:4} {name:10} whole run: plain {plain['total_s']:7.1f} s "
                  f"(val acc {plain['val_acc']:.3f}) | cnnviz {ours['total_s']:7.1f} s "
                  f"(val acc {ours['val_acc']:.3f}) | {plain['total_s'] / ours['total_s']:.2f}x "
                  f"sooner | cnnviz first point {ours['first_point_s']:.2f} s, first epoch "
                  f"{ours['first_epoch_s']:.1f} s (plain {plain['first_epoch_s']:.1f} s)",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
