"""How long importing a run file takes, and how much memory it needs, per preset.

For each preset: a finished 10-epoch run is written into a scratch store (its real
checkpoint: the Xavier-initialised weights, 10 epochs of metrics and first-layer snapshots),
then its checkpoint's bytes are imported into a second store in a fresh interpreter, which
reports the seconds of ``import_run`` and its peak resident memory (sampled every 5 ms)
beyond what the process held with the file's bytes read.
That is what the Training page's upload does after the browser has sent the file.

Run: ``.venv/bin/python benchmarks/import_bench.py [--presets LeNet ResNet-18 VGG-11]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from cnnviz_testing.procs import RSS_CHILD

REPO = Path(__file__).resolve().parents[1]

CHILD = (
    RSS_CHILD
    + """
from cnnviz.runs import RunStore
base, peak, done = rss(), [0], threading.Event()
def sample():  # the resident set every 5 ms while importing
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
t = time.perf_counter()
run_id, added = RunStore({target!r}).import_run(data, "bench.safetensors")
seconds = time.perf_counter() - t
done.set()
print(json.dumps({{"seconds": seconds, "added": added, "extra_mb": (peak[0] - base) / 2**20}}))
"""
)


def make_run(store_root: Path, preset: str) -> Path:
    """A finished run of ``preset`` in a new store; returns its checkpoint's path."""
    from cnnviz.features import first_stage_state
    from cnnviz.models import PRESETS
    from cnnviz.runs import RunStore
    from cnnviz.train import RunConfig, build_net

    store = RunStore(store_root)
    config = RunConfig(PRESETS[preset])
    run_id = store.create(config, name=preset, preset=preset, status="running")
    net = build_net(config)
    for epoch in range(config.num_epochs + 1):
        store.save_snapshot(run_id, epoch, first_stage_state(net))
        if epoch:
            store.add_epoch(run_id, {"epoch": epoch, "train_loss": 1.0 / epoch, "train_acc": 0.5,
                                     "val_loss": 1.0, "val_acc": 0.5, "examples_per_s": 1.0,
                                     "seconds": 1.0})  # fmt: skip
    store.save_state_dict(run_id, net.state_dict(), "finished")
    return store.checkpoint_path(run_id)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presets", nargs="+", default=["LeNet", "ResNet-18", "VGG-11"])
    args = ap.parse_args()
    print(f"{'preset':<12}{'file MB':>10}{'import s':>10}{'peak MB over the bytes':>24}")
    for preset in args.presets:
        with tempfile.TemporaryDirectory() as tmp:
            path = make_run(Path(tmp) / "source", preset)
            code = CHILD.format(repo=str(REPO), path=str(path), target=str(Path(tmp) / "t"))
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True)  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            assert r["added"]
            size = path.stat().st_size / 2**20
            print(f"{preset:<12}{size:>10.1f}{r['seconds']:>10.2f}{r['extra_mb']:>24.0f}")


if __name__ == "__main__":
    main()
