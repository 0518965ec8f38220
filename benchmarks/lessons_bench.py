"""How fast the why-conv, channels and pooling pages re-render after a slider change, once warm.

For each page: one warm-up run, then ``--repeats`` AppTest reruns, each after moving one slider
(the whole script, figures included; AppTest adds its own overhead, so the browser sees less).
Also the library call behind each page on a 28×28 and a 512×512 input (the channels page
downscales uploads to 128 px; the pooling page to 64 px).

Run: ``.venv/bin/python benchmarks/lessons_bench.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from cnnviz import lessons
from cnnviz.kernels import kernel_tensor
from cnnviz.plots import lessons as plots

REPO = Path(__file__).resolve().parents[1]

PAGES = {  # page → (slider key, values cycled through)
    "why_conv.py": ("why_dx", [1, 2, 3, -1, -2]),
    "channels.py": ("chan_c_o", [3, 4, 5, 2, 1]),
    "pooling.py": ("pool_shift", [2, 3, -1, -2, 0]),
}


def page_ms(page: str, key: str, values: list[int], repeats: int) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app_pages" / page), default_timeout=120).run()
    times = []
    for i in range(repeats):
        at.slider(key=key).set_value(values[i % len(values)])
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    return 1000 * statistics.median(times)


def library_ms(side: int, repeats: int) -> dict[str, float]:
    g = torch.Generator().manual_seed(0)
    X = torch.rand((3, side, side), generator=g)
    K = [kernel_tensor(n) for n in ("Sobel x", "Sobel y", "Laplacian")]
    calls = {
        "channel_sum + figure": lambda: plots.heatmap_row(
            [*lessons.channel_sum(X, K).per_channel], ["r", "g", "b"], annotate=False
        ),
        "one_by_one (c_o=4)": lambda: lessons.one_by_one(X, 4),
        "pool 3×3 s2 p1 + winners": lambda: plots.winners_figure(
            X[0], lessons.pool(X[0], lessons.PoolSettings(3, 2, 1)).wins
        ),
        "shift_tolerance": lambda: lessons.shift_tolerance(X[0], K[0]),
    }
    out = {}
    for name, call in calls.items():
        call()  # warm
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            call()
            times.append(time.perf_counter() - t)
        out[name] = 1000 * statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| page | slider | median rerun (ms) |\n|---|---|---|")
    for page, (key, values) in PAGES.items():
        print(f"| {page} | {key} | {page_ms(page, key, values, args.repeats):.0f} |")
    print("\n| library call | 28×28 (ms) | 512×512 (ms) |\n|---|---|---|")
    small, big = library_ms(28, args.repeats), library_ms(512, args.repeats)
    for name in small:
        print(f"| {name} | {small[name]:.1f} | {big[name]:.1f} |")


if __name__ == "__main__":
    main()
