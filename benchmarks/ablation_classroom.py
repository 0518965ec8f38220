"""Time a built-in ablation group at its CPU classroom size and print the comparison table.

    CNNVIZ_HOME=/tmp/abl .venv/bin/python benchmarks/ablation_classroom.py resnet

The runs go to the run store, so the ablation page can show them afterwards with
``/ablation?group=resnet&mode=classroom&runs=<ids printed below>``.
"""

from __future__ import annotations

import sys
import time

from cnnviz import ablation as A
from cnnviz.device import describe_device
from cnnviz.frames import metrics_table
from cnnviz.runs import get_manager


def main(key: str = "resnet", mode: str = "classroom") -> None:
    group = A.GROUPS[key]
    mgr = get_manager()
    t0 = time.perf_counter()
    ids = A.launch(mgr, group, mode, seed=0)
    for rid in ids:
        mgr.wait(rid)
    wall = time.perf_counter() - t0
    metrics = {
        v.name: metrics_table(mgr.store.metrics_rows(r))
        for v, r in zip(group.variants, ids, strict=True)
    }
    specs = {v.name: mgr.store.get(r).config.spec for v, r in zip(group.variants, ids, strict=True)}
    table = A.comparison_table(metrics, A.params_by_variant(specs))
    print(f"{group.title} — {group.setting(mode).label} — {describe_device()}")
    print(table.to_string(index=False))
    print(f"wall clock for the whole group: {wall:.0f} s; runs: {','.join(ids)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
