"""Warm re-render time of the convolution pages after a widget change (d2l 7.2, 7.3).

Runs each page with Streamlit's AppTest in this process: one cold run, two warm-up changes,
then times ``REPEATS`` changes of one keyed widget (script run plus AppTest's own overhead, so
the numbers are an upper bound on the server's work; the browser's drawing is not included).
A 512×512 "upload" is injected by replacing the shared image picker, since AppTest cannot
upload files.

    .venv/bin/python benchmarks/render_bench.py

Targets: under 150 ms for a 28×28 input, under 300 ms for a 512×512 upload.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import torch

import ui
from cnnviz.images import LoadedImage

ROOT = Path(__file__).resolve().parents[1]

REPEATS = 7
TARGET_MS = {"28×28": 150, "512×512": 300}


def _picture_512() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 512), torch.linspace(0, 1, 512), indexing="ij")
    X = 0.5 + 0.4 * torch.sin(12 * xx) * torch.cos(9 * yy) + 0.1 * torch.rand(512, 512, generator=g)
    return X.clamp(0, 1).unsqueeze(0)


PICTURE = _picture_512()


def _upload_512(key, color=False, max_side=512, default=0):
    """Stands in for ``image_source_ui``: the decoded upload, cached as the real picker does."""
    return LoadedImage(PICTURE, "512×512 upload")


def _app(page: str):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=120)


def _time(at, change, values) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per ``change(at, value).run()``, after two warm-up changes.

    CPU time (this process, all threads) does not grow when other programs share the cores,
    so it is the fairer number on a busy machine; wall time is what a user waits.
    """
    for v in values[:2]:
        change(at, v).run()
    wall, cpu = [], []
    for k in range(REPEATS):
        v = values[k % len(values)]
        t, c = time.perf_counter(), time.process_time()
        change(at, v).run()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return wall, cpu


def _slider(key):
    return lambda at, v: at.slider(key=key).set_value(v)


def _number(key):
    return lambda at, v: at.number_input(key=key).set_value(v)


def _select(key):
    return lambda at, v: at.selectbox(key=key).set_value(v)


def bench_xcorr(size: str):
    at = _app("cross_correlation.py")
    if size == "28×28":
        at.run()
        at.selectbox(key="xcorr_source").set_value("fashion").run()
    else:
        at.run()
    rows = []
    rows.append(("cross-correlation", size, "output cell (xcorr_row)",
                 _time(at, _number("xcorr_row"), [3, 4, 5, 6, 7, 8, 9])))  # fmt: skip
    presets = ["Sobel x", "Laplacian", "Sharpen", "Blur (box 3×3)"]
    rows.append(("cross-correlation", size, "kernel preset",
                 _time(at, _select("xcorr_kernel_preset"), presets)))  # fmt: skip
    return rows


def bench_padding(size: str):
    at = _app("padding_stride.py").run()
    if size == "28×28":
        at.number_input(key="pad_in_h").set_value(28)
        at.number_input(key="pad_in_w").set_value(28).run()
    else:
        at.toggle(key="pad_use_image").set_value(True).run()
    return [
        ("padding & stride", size, "kernel slider (pad_kernel_h)",
         _time(at, _slider("pad_kernel_h"), [3, 5, 7, 4, 6])),
        ("padding & stride", size, "stride slider (pad_stride_w)",
         _time(at, _slider("pad_stride_w"), [2, 3, 1, 4])),
    ]  # fmt: skip


def main() -> None:
    rows = []
    rows += bench_xcorr("28×28")
    rows += bench_padding("28×28")
    original = ui.image_source_ui
    ui.image_source_ui = _upload_512
    try:
        rows += bench_xcorr("512×512")
        rows += bench_padding("512×512")
    finally:
        ui.image_source_ui = original
    load = os.getloadavg()[0]
    print(f"Warm re-render after a widget change; {REPEATS} changes each, milliseconds; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the end.\n")  # fmt: skip
    print("| page | input | change | wall median | wall max | CPU median | target |")
    print("|---|---|---|---|---|---|---|")
    for page, size, change, (wall, cpu) in rows:
        print(
            f"| {page} | {size} | {change} | {statistics.median(wall):.0f} | "
            f"{max(wall):.0f} | {statistics.median(cpu):.0f} | < {TARGET_MS[size]} |"
        )


if __name__ == "__main__":
    main()
