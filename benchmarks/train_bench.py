"""Training speed and app memory: cnnviz's trainer against a plain d2l-style loop.

The plain loop is d2l's ``train_ch6`` over a DataLoader of torchvision's FashionMNIST with
``ToTensor`` (and ``Resize`` for bigger inputs), ``num_workers`` as d2l's
``get_dataloader_workers()`` (4); same model, init, batch size and lr. It runs in a fresh
interpreter each round, so nothing cnnviz's trainer did in this process affects it.
Both train the same number of batches; examples/s counts training only. A third number, the
training step alone on one ready-made batch, is the ceiling any data path can reach. Beside
them, ``python -m cnnviz train`` in fresh processes, its run stored and not (``--no-store``):
the stored run is the path every run takes, and it must keep up with the step alone.

    .venv/bin/python benchmarks/train_bench.py [--batches 100] [--repeats 3] [--threads N]
        [--no-memory]

On a machine with CUDA it also measures LeNet and ResNet-18 at 96 on the GPU.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from cnnviz.data import DEBIAN_DIR, locate
from cnnviz.models import PRESETS, build_model
from cnnviz.train import RunConfig, train

REPO = Path(__file__).resolve().parents[1]


def stage_torchvision_root(tmp: Path) -> Path:
    """Uncompressed copies under root/FashionMNIST/raw/ (the .gz md5 check would fail)."""
    src = locate() if locate() else DEBIAN_DIR
    raw = tmp / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # fmt: skip
        gz, plain = src / (stem + ".gz"), src / stem
        if plain.exists():
            shutil.copy(plain, raw / stem)
        else:
            with gzip.open(gz) as f, open(raw / stem, "wb") as out:
                shutil.copyfileobj(f, out)
    return tmp


def d2l_dataset(spec, root: Path, train: bool = True):
    """torchvision's FashionMNIST with d2l's transforms: Resize (bigger inputs), ToTensor."""
    import torchvision
    from torchvision import transforms

    trans = [transforms.ToTensor()]
    if spec.input_size != 28:
        trans.insert(0, transforms.Resize(spec.input_size))
    return torchvision.datasets.FashionMNIST(
        root=str(root), train=train, transform=transforms.Compose(trans), download=False
    )


def plain_loop(spec, root: Path, batches: int, device: str, workers: int) -> float:
    """d2l 6.6 train_ch6 over a torchvision DataLoader; returns training examples/s."""
    ds = d2l_dataset(spec, root)
    loader = torch.utils.data.DataLoader(ds, 128, shuffle=True, num_workers=workers)
    torch.manual_seed(0)
    net = build_model(spec).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=spec.lr)
    loss = nn.CrossEntropyLoss()
    net.train()
    seen, t0, metric = 0, None, [0.0, 0.0, 0]
    for i, (X, y) in enumerate(loader):
        if i == 3:  # warm-up (worker start-up, first allocations) is not counted
            if device == "cuda":
                torch.cuda.synchronize()
            t0, seen = time.perf_counter(), 0
        if i == batches + 3:
            break
        X, y = X.to(device), y.to(device)
        y_hat = net(X)
        l = loss(y_hat, y)
        opt.zero_grad()
        l.backward()
        opt.step()
        with torch.no_grad():  # d2l's Accumulator: loss sum, correct, count
            metric[0] += float(l) * X.shape[0]
            metric[1] += float((y_hat.argmax(1) == y).sum())
            metric[2] += X.shape[0]
        seen += X.shape[0]
    if device == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - t0)


def cnnviz_loop(spec, batches: int, device: str) -> float:
    cfg = RunConfig(spec, num_epochs=2, limit=128 * batches, val_limit=256, device=device)
    eps = [r["examples_per_s"] for r in train(cfg) if r["kind"] == "epoch"]
    return eps[-1]  # the second epoch: warm


def ceiling_loop(spec, batches: int, device: str) -> float:
    """The training step alone: one batch made once, stepped ``batches`` times (no data path).

    No data pipeline can beat this, so ceiling / plain bounds any data-path speed-up."""
    from torch.nn import functional as F

    torch.manual_seed(0)
    net = build_model(spec).to(device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=spec.lr)
    X = torch.rand(128, 1, spec.input_size, spec.input_size, device=device)
    X = X.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (128,), device=device)
    amp = device == "cuda"
    for i in range(batches + 3):
        if i == 3:
            if amp:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=amp):
            out = net(X)
        loss = F.cross_entropy(out.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if amp:
        torch.cuda.synchronize()
    return 128 * batches / (time.perf_counter() - t0)


def idle_memory() -> float:
    """Start the app headless, open the data page in Chromium (loads the dataset), read the RSS
    of the server and what it started."""
    from playwright.sync_api import sync_playwright

    from cnnviz_testing.browser import launch_chromium, wait_idle
    from cnnviz_testing.procs import tree_rss_mb
    from cnnviz_testing.server import StreamlitServer

    with StreamlitServer() as server, sync_playwright() as p:
        b = launch_chromium(p)
        page = b.new_page()
        for path in ("data", "training"):
            page.goto(f"{server.url}/{path}")
            page.wait_for_selector("h1", timeout=120_000)
            wait_idle(page, 120_000)
        time.sleep(5)  # the server's memory after its work settles
        mb = tree_rss_mb(server.pid)
        b.close()
    return mb


def plain_in_fresh_process(
    name: str, root: Path, batches: int, device: str, workers: int, threads: int | None = None
) -> float:
    """The plain loop in a new interpreter, as a d2l user runs it: nothing cnnviz imported,
    allocated or cached in this process can help or hinder it."""
    out = subprocess.run(
        [sys.executable, __file__, "--plain", name, "--root", str(root), "--device", device,
         "--batches", str(batches), "--workers", str(workers)]
        + (["--threads", str(threads)] if threads else []),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def cli_in_fresh_process(
    name: str, batches: int, device: str, threads: int | None = None, store: bool = True
) -> float:
    """``python -m cnnviz train`` as a user runs it, the run stored (as every app and CLI run
    is) in a store of its own, or ``--no-store``: the second epoch's training examples/s (the
    first pays the process's warm-up, as :func:`cnnviz_loop` skips it too)."""
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [sys.executable, "-m", "cnnviz", "train", "--preset", name, "--epochs", "2",
             "--limit", str(128 * batches), "--val-limit", "256", "--device", device, "--json"]
            + (["--threads", str(threads)] if threads else [])
            + ([] if store else ["--no-store"]),
            cwd=REPO, env={**os.environ, "CNNVIZ_HOME": home},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])["examples_per_s"]


def compare(
    name: str,
    root: Path,
    batches: int,
    device: str,
    workers: int,
    repeats: int,
    threads: int | None = None,
) -> None:
    """Alternate the loops ``repeats`` times; print each round, the medians and the ratios
    (each a median of the rounds' own ratios, so a drifting machine slows both sides alike).

    Beside the plain loop, cnnviz's loop in this process and the training step alone: the CLI
    in fresh processes, the run stored (the path every app and CLI run takes) and not. The
    stored CLI run should stay within 0.9x of the step alone: a stored run once trained at
    half the speed of an unstored one (the CLI started a worker process beside itself)."""
    spec = PRESETS[name]
    rows: dict[str, list[float]] = {k: [] for k in ("plain", "cnnviz", "step", "cli", "cli_no")}
    for i in range(repeats):
        rows["plain"].append(plain_in_fresh_process(name, root, batches, device, workers, threads))
        rows["cnnviz"].append(cnnviz_loop(spec, batches, device))
        rows["cli"].append(cli_in_fresh_process(name, batches, device, threads))
        rows["step"].append(ceiling_loop(spec, batches, device))
        rows["cli_no"].append(cli_in_fresh_process(name, batches, device, threads, store=False))
        r = {k: v[-1] for k, v in rows.items()}
        print(f"  {device} {name} round {i + 1}: plain {r['plain']:,.0f} ex/s, "
              f"cnnviz {r['cnnviz']:,.0f} ex/s ({r['cnnviz'] / r['plain']:.2f}x), "
              f"step alone {r['step']:,.0f} ex/s, CLI stored {r['cli']:,.0f} ex/s "
              f"({r['cli'] / r['step']:.2f}x the step), CLI --no-store {r['cli_no']:,.0f} ex/s",
              flush=True)  # fmt: skip
    med = statistics.median

    def ratio(a: str, b: str) -> float:
        return med(x / y for x, y in zip(rows[a], rows[b], strict=True))

    m = {k: med(v) for k, v in rows.items()}
    print(f"{device:4} {name:10} plain d2l loop {m['plain']:9,.0f} ex/s | cnnviz "
          f"{m['cnnviz']:9,.0f} ex/s | speedup {ratio('cnnviz', 'plain'):4.2f}x | training step "
          f"alone {m['step']:9,.0f} ex/s = {ratio('step', 'plain'):.2f}x plain "
          f"(medians of {repeats} rounds)", flush=True)  # fmt: skip
    print(f"{device:4} {name:10} CLI, stored {m['cli']:9,.0f} ex/s | CLI --no-store "
          f"{m['cli_no']:9,.0f} ex/s | stored / step alone {ratio('cli', 'step'):.2f}x "
          f"(goal >= 0.9x) | stored / unstored {ratio('cli', 'cli_no'):.2f}x | stored / "
          f"cnnviz in process {ratio('cli', 'cnnviz'):.2f}x | stored / plain "
          f"{ratio('cli', 'plain'):.2f}x", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--workers", type=int, default=4, help="d2l's get_dataloader_workers()")
    ap.add_argument("--repeats", type=int, default=3, help="alternating rounds per row")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--plain", help=argparse.SUPPRESS)  # internal: one plain loop, print ex/s
    ap.add_argument("--root", help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        if args.threads:
            torch.set_num_threads(args.threads)
        eps = plain_loop(PRESETS[args.plain], Path(args.root), args.batches, args.device,
                         args.workers)  # fmt: skip
        print(eps)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, CUDA: {torch.cuda.is_available()}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = stage_torchvision_root(Path(tmp))
        compare("LeNet", root, args.batches, "cpu", args.workers, args.repeats, args.threads)
        if torch.cuda.is_available():
            compare(
                "LeNet", root, 4 * args.batches, "cuda", args.workers, args.repeats, args.threads
            )
            compare(
                "ResNet-18", root, args.batches, "cuda", args.workers, args.repeats, args.threads
            )
        else:
            print("no GPU here: the GPU rows (LeNet, ResNet-18 at 96) were not measured")
    if not args.no_memory:
        print(f"app idle memory with the dataset loaded: {idle_memory():,.0f} MB RSS")


if __name__ == "__main__":
    main()
