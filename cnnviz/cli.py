"""``python -m cnnviz …``: headless training runs and the run store, without Streamlit.

``train`` runs a preset (d2l 7.6, 8.2, 8.6) in this process and stores it like a run started
from the page (so a teacher can prepare runs before a class); ``--json`` prints one JSON line
per epoch for benchmarks and scripts. ``runs`` lists the store. ``import`` adds runs from
their weights files (``checkpoints/<run>.safetensors`` of another store, or the Training page's
download), e.g. runs trained on a GPU machine, shown in class on a laptop.
"""

from __future__ import annotations

import argparse
import json
import sys

from cnnviz.classroom import OPERATOR

TRAIN_HELP = "Train a preset on Fashion-MNIST (d2l defaults: SGD, batch 128, 10 epochs)."


def _parser() -> argparse.ArgumentParser:
    from cnnviz.models import PRESETS

    p = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help=TRAIN_HELP, description=TRAIN_HELP)
    t.add_argument("--preset", default="LeNet", choices=sorted(PRESETS))
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--lr", type=float, default=None, help="default: the preset's (d2l's) lr")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--limit", type=int, default=None, help="train on this many examples")
    t.add_argument("--val-limit", type=int, default=None, help="validate on this many")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    t.add_argument("--name", default=None, help="name of the run in the store")
    t.add_argument("--group", default=None, help="group of the run in the store")
    t.add_argument("--json", action="store_true", help="one JSON line per epoch")
    t.add_argument("--no-store", action="store_true", help="do not record the run")
    r = sub.add_parser("runs", help="List the runs in the store ($CNNVIZ_HOME).")
    r.add_argument("--json", action="store_true", help="one JSON line per run")
    i = sub.add_parser("import", help="Add runs to the store from their weights files.")
    i.add_argument("files", nargs="+", metavar="FILE", help="a cnnviz .safetensors file")
    _ablation_parser(sub)
    return p


# -- ablation: a built-in group over seeds, headless -----------------------------------------

ABLATION_HELP = (
    "Run a built-in ablation group (lenet, vgg, resnet) over one or more seeds, one run after "
    "another, and print every run's epochs and the final comparison (mean ± sd per variant, "
    "the difference of each pair with its 95%% interval paired by seed, the verdict)."
)


def _ablation_parser(sub) -> None:
    a = sub.add_parser("ablation", help=ABLATION_HELP, description=ABLATION_HELP)
    a.add_argument("group", help="lenet, vgg or resnet (the lab's built-in experiments)")
    sizes = "the lab's sizes: quick (seconds), classroom (minutes), full (the book's)"
    a.add_argument("--size", choices=["quick", "classroom", "full"], default="quick", help=sizes)
    a.add_argument("--seeds", type=int, default=1, help="runs per variant, 1 to 10")
    a.add_argument("--seed", type=int, default=0, help="the first seed (then seed + 1, …)")
    a.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    a.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    a.add_argument("--json", action="store_true",
                   help="one JSON line per epoch, then one with the comparison")  # fmt: skip
    a.add_argument("--no-store", action="store_true", help="do not record the runs")


def _print_ablation_epoch(rec: dict, args, variant: str, seed: int, run_id, n: int) -> None:
    if args.json:
        line = {"kind": "epoch", "variant": variant, "seed": seed, "run_id": run_id}
        line.update({k: v for k, v in rec.items() if k != "kind"})
        print(json.dumps(line), flush=True)
    else:
        print(
            f"{variant} · seed {seed} · epoch {rec['epoch']}/{n}: loss {rec['train_loss']:.3f}, "
            f"val acc {rec['val_acc']:.3f}, {rec['seconds']:.1f} s",
            flush=True,
        )


def _print_comparison(args, key: str, runs: dict, params: dict, run_ids: list[str]) -> None:
    from cnnviz import ablation as A

    lab = f"/ablation?group={key}&mode={args.size}&runs={','.join(run_ids)}"
    if args.seeds > 1:
        lab += f"&seeds={args.seeds}"
    result = A.comparison_json(runs, params)
    if args.json:
        head = {"kind": "comparison", "group": key, "size": args.size, "seeds": args.seeds}
        print(json.dumps({**head, **result, "run_ids": run_ids,
                          "lab": lab if run_ids else None}), flush=True)  # fmt: skip
        return
    print()
    print(A.seed_display(A.seed_comparison(runs, params)).to_string(index=False))
    pairs = A.pair_table(runs)
    if len(pairs):
        print()
        print(A.pair_display(pairs).to_string(index=False))
    lines = result["verdicts"]
    if lines:
        print()
        print("\n".join(lines))
    elif args.seeds == 1:
        print("\none seed per variant: no interval (use --seeds 3 or more for a verdict)")
    print(f"\nmethod: {result['method']}")
    if run_ids:
        print(f"in the lab: {lab}")


def cmd_ablation(args) -> int:
    """A built-in group × ``--seeds`` seeds, in the lab's interleaved order (every variant of
    a seed, then the next seed), trained here one run after another."""
    import pandas as pd
    import torch

    from cnnviz import ablation as A
    from cnnviz.runs.threads import own_process_threads
    from cnnviz.train import TrainingError, train

    if args.group not in A.GROUPS:
        print(f"error: unknown group {args.group!r}; choose {', '.join(A.GROUPS)}",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.threads is not None and args.threads < 1:
        print(f"error: --threads must be 1 or more, not {args.threads}", file=sys.stderr)
        return 2
    group = A.GROUPS[args.group]
    try:
        plan = A.group_plan(group, args.size, args.seed, args.seeds, device=args.device)
        for _, _, config in plan:
            config.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    threads = own_process_threads(args.threads)
    torch.set_num_threads(threads)
    store = None
    if not args.no_store:
        from cnnviz.runs import RunStore, StoreError

        try:
            store = RunStore()
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"store: {store.root}", file=sys.stderr, flush=True)
    from cnnviz.runs.execute import run_here

    label = A.group_label(group, args.size, args.seed, args.seeds)
    runs: dict[str, list] = {v.name: [] for v in group.variants}
    run_ids: list[str] = []
    status, run_id = 0, None
    try:
        for v, seed, config in plan:
            if store is None:
                run_id, records = None, train(config)
            else:
                run_id, records = run_here(store, config, v.name, label, v.preset, threads)
                run_ids.append(run_id)
            rows = []
            for rec in records:
                if rec["kind"] == "epoch":
                    rows.append({k: val for k, val in rec.items() if k != "kind"})
                    _print_ablation_epoch(rec, args, v.name, seed, run_id, config.num_epochs)
                elif rec["kind"] == "notice":
                    print(f"notice: {rec['message']}", file=sys.stderr, flush=True)
                elif rec["kind"] == "failed":
                    print(f"error: {v.name} · seed {seed}: {rec['message']}", file=sys.stderr,
                          flush=True)  # fmt: skip
                    status = 1
            runs[v.name].append(A.SeedRun(seed, pd.DataFrame(rows), config.num_epochs,
                                          run_id or ""))  # fmt: skip
    except TrainingError as exc:  # only without the store (execute turns it into "failed")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if store is not None and run_id is not None:
            store.set_status(run_id, "stopped")
        print("stopped", file=sys.stderr)
        return 130
    params = A.params_by_variant({v.name: c.spec for v, _, c in plan[: len(group.variants)]})
    _print_comparison(args, args.group, runs, params, run_ids)
    return status


def _print_epoch(rec: dict, args, num_epochs: int) -> None:
    if args.json:
        print(json.dumps({k: v for k, v in rec.items() if k != "kind"}), flush=True)
    else:
        print(
            f"epoch {rec['epoch']}/{num_epochs}: loss {rec['train_loss']:.3f}, "
            f"train acc {rec['train_acc']:.3f}, val acc {rec['val_acc']:.3f}, "
            f"{rec['examples_per_s']:.0f} examples/s, {rec['seconds']:.1f} s",
            flush=True,
        )


def cmd_train(args) -> int:
    import torch

    from cnnviz.models import PRESETS
    from cnnviz.runs.threads import own_process_threads
    from cnnviz.train import RunConfig, TrainingError, train

    if args.threads is not None and args.threads < 1:
        print(f"error: --threads must be 1 or more, not {args.threads}", file=sys.stderr)
        return 2
    # The run has this process to itself (no web server here): every core it is given.
    threads = own_process_threads(args.threads)
    torch.set_num_threads(threads)
    config = RunConfig(
        spec=PRESETS[args.preset],
        num_epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        limit=args.limit,
        val_limit=args.val_limit,
        seed=args.seed,
        device=args.device,
    )
    try:
        config.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.no_store:
        run_id, records = None, train(config)
    else:
        # The store alone, no run manager: a manager would start a worker process beside
        # this one, which took a core from the run (see run_here).
        from cnnviz.runs import RunStore, StoreError
        from cnnviz.runs.execute import run_here

        try:
            store = RunStore()
            run_id, records = run_here(store, config, args.name, args.group, args.preset, threads)
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"run {run_id} in {store.root}", file=sys.stderr, flush=True)
    status = 0
    try:
        for rec in records:
            if rec["kind"] == "epoch":
                _print_epoch(rec, args, config.num_epochs)
            elif rec["kind"] == "notice":
                print(f"notice: {rec['message']}", file=sys.stderr, flush=True)
            elif rec["kind"] == "failed":
                print(f"error: {rec['message']}", file=sys.stderr, flush=True)
                status = 1
    except TrainingError as exc:  # only without the store (execute turns it into "failed")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if run_id is not None:
            store.set_status(run_id, "stopped")
        print("stopped", file=sys.stderr)
        return 130
    return status


def cmd_runs(args) -> int:
    from cnnviz.runs import StoreError

    try:
        runs = _service().list_runs(OPERATOR)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        import dataclasses
        import math

        def value(v):  # a missing value is None (JSON null); JSON has no infinity either
            return None if isinstance(v, float) and not math.isfinite(v) else v

        for run in runs:
            clean = {k: value(v) for k, v in dataclasses.asdict(run).items()}
            print(json.dumps(clean, default=str, allow_nan=False))
    elif not runs:
        print("No runs yet.")
    else:
        from cnnviz.frames import table

        cols = ["run_id", "name", "status", "epochs_done", "num_epochs", "final_val_acc",
                "seconds", "created"]  # fmt: skip
        print(table(runs, cols).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _service(store=None):
    """The store through the run service, acting as this machine's operator (the teacher's
    rights: every run; imports belong to the class)."""
    from cnnviz.runs import RunStore
    from cnnviz.runs.service import RunService

    return RunService(None, store=store if store is not None else RunStore())


def _import_one(store, name: str) -> str:
    """Import one file; returns the line that reports it. Raises whatever went wrong."""
    from pathlib import Path

    path = Path(name)
    svc = _service(store)
    run_id, added = svc.import_run(OPERATOR, path.read_bytes(), path.name)
    rec = svc.get(OPERATOR, run_id)
    verb = "imported" if added else "already in the store:"
    return (f"{verb} run {run_id} ({_one_line(rec.name)}, {rec.epochs_done}/"
            f"{rec.config.num_epochs} epochs, {rec.status})")  # fmt: skip


def cmd_import(args) -> int:
    """Each file in turn, one line each: a bad file gets ``error: <file>: <reason>`` on stderr
    (whatever went wrong with it) and the others still come in; exit 1 if any failed."""
    from cnnviz.runfile import RunFileError
    from cnnviz.runs import RunStore, StoreError

    try:
        store = RunStore()
    except StoreError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    status = 0
    for name in args.files:
        try:
            line = _import_one(store, name)
        except (OSError, RunFileError) as exc:  # the file's own problem: its message says why
            print(f"error: {_one_line(name)}: {_one_line(exc)}", file=sys.stderr, flush=True)
            status = 1
        except Exception as exc:  # noqa: BLE001 - any other failure is this file's, not the rest's
            reason = f"{type(exc).__name__}: {_one_line(exc)}"
            print(f"error: {_one_line(name)}: {reason}", file=sys.stderr, flush=True)
            status = 1
        else:
            print(line, flush=True)
    print(f"store: {store.root}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"train": cmd_train, "runs": cmd_runs, "import": cmd_import,
                "ablation": cmd_ablation}  # fmt: skip
    return commands[args.command](args)
