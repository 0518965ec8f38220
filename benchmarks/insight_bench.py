"""How fast "What the network learned" answers, per preset, on this machine's CPU.

Per preset (weights from a seeded init: the time does not depend on what was learned):

- load: reading a checkpoint file and building the network from it (``load_run`` does this
  once per run and epoch count, then keeps the network);
- classify: ``predict`` on a warm, cached network for a 280×280 drawing — preparing it
  (grey, polarity, framing, resize) and one forward pass. Target: LeNet ≤ 300 ms;
- stroke: what the page's classifier does for one stroke on the canvas, without Streamlit:
  decoding the canvas PNG, ``prepare``, ``predict``, Grad-CAM, and building the probability
  chart and the saliency overlay;
- 10k matrix: the confusion matrix over the 10,000 test images (``class_probabilities`` as
  training validates), i.e. what ``evaluate_run`` adds to the end of a run (one more
  validation pass; picking the stored mistakes costs well under 0.1 s). Large networks are
  timed on ``--images`` test images and scaled to 10,000 (marked "≈").

With ``--page``: one whole rerun of app_pages/insight.py in AppTest (the script, with the matrix,
the gallery and the classifier drawn) after a new test image is chosen, on a stored LeNet run.
In the browser only the classifier fragment reruns on a stroke, which costs less. With
``--browser``: strokes drawn with the mouse in Chromium, timed from releasing the button to the
probability chart showing the new numbers (the canvas sends its picture, the server reruns the
fragment, Plotly redraws).

Run: ``.venv/bin/python benchmarks/insight_bench.py [--repeats 20] [--images 512] [--threads 1]
[--page] [--browser]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import torch

from cnnviz import images
from cnnviz import insight as I
from cnnviz.data import load_fashion_mnist
from cnnviz.models import PRESETS, build_model
from cnnviz.plots import insight as P

REPO = Path(__file__).resolve().parents[1]


def drawing_png(seed: int) -> bytes:
    """A 280×280 RGBA canvas picture: white strokes (a pair of trousers) on transparent black,
    as the drawable canvas sends it."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    x = 100 + seed % 7
    d.line([(x, 60), (x - 10, 250)], fill=(255, 255, 255, 255), width=20)
    d.line([(x + 70, 60), (x + 80, 250)], fill=(255, 255, 255, 255), width=20)
    d.line([(x - 5, 60), (x + 75, 60)], fill=(255, 255, 255, 255), width=20)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def median_ms(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def load_seconds(spec, tmp: Path) -> tuple[float, I.LoadedRun]:
    from safetensors.torch import load_file, save_file

    net = build_model(spec)  # seeded by the caller
    path = tmp / f"{id(spec)}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    del net
    t = time.perf_counter()
    net = I.network_from_state(spec, load_file(str(path)))
    seconds = time.perf_counter() - t
    path.unlink()
    return seconds, I.LoadedRun("bench", "bench", "finished", 1, 1, None, spec, net)


def bench_preset(name: str, spec, data, tmp: Path, repeats: int, n_images: int) -> dict:
    load_s, run = load_seconds(spec, tmp)
    pngs = [drawing_png(i) for i in range(repeats + 1)]
    canvas = [images.canvas_image(png, 280) for png in pngs]
    k = iter(range(10**9))

    def classify():
        I.predict(run, canvas[next(k) % len(canvas)])

    def stroke():
        X0 = images.canvas_image(pngs[next(k) % len(pngs)], 280)
        X, _ = I.prepare(X0, spec)
        p = I.predict(run, X)
        m = I.saliency(run, X, target_class=int(p.argmax()))
        P.probability_bars({name: p})
        P.saliency_overlay(X[0, 0], m, name)

    r = max(3, repeats // (1 if spec.input_size <= 56 else 4))
    classify_ms = median_ms(classify, r)
    stroke_ms = median_ms(stroke, r)
    n = len(data.test_images) if spec.input_size <= 28 else min(n_images, len(data.test_images))
    X, y = data.test_images[:n], data.test_labels[:n]
    t = time.perf_counter()
    probs = I.class_probabilities(run, X)
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    I.confusion_from_predictions(y.numpy(), probs.argmax(1))
    I.stored_mistakes(probs, y)
    extra = time.perf_counter() - t
    full = seconds * len(data.test_images) / n
    return dict(load=load_s, classify=classify_ms, stroke=stroke_ms, matrix=full,
                scaled=n < len(data.test_images), extra=extra)  # fmt: skip


def bench_home() -> Path:
    """A store holding one LeNet-ReLU run (2,000 images, 1 epoch, validated on 1,000)."""
    from cnnviz.runs import RunManager, RunStore
    from cnnviz.train import RunConfig

    home = Path(tempfile.mkdtemp(prefix="insight_bench_"))
    store = RunStore(home)
    manager = RunManager(store)
    config = RunConfig(PRESETS["LeNet-ReLU"], num_epochs=1, limit=2000, val_limit=1000)
    run_id = manager.submit(config, name="LeNet-ReLU")
    assert manager.wait(run_id, 600) == "finished"
    manager.shutdown()
    return home


def page_ms(home: Path, repeats: int) -> float:
    """Median AppTest rerun of the whole page after a new test image is chosen."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["CNNVIZ_HOME"] = str(home)
    at = AppTest.from_file(str(REPO / "app_pages" / "insight.py"), default_timeout=120).run()
    for _ in range(100):  # until the background evaluation is drawn
        if any((c.proto.id or "").endswith("insight_cm_0") for c in at.get("plotly_chart")):
            break
        time.sleep(0.2)
        at.run()
    times = []
    for i in range(repeats):
        at.number_input(key="insight_test_index").set_value(100 + i)
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        assert not at.exception, [e.value for e in at.exception]
    return 1000 * statistics.median(times)


def browser_ms(home: Path, repeats: int) -> list[float]:
    """In Debian's Chromium (as the tests launch it): strokes drawn with the mouse on the
    canvas; for each, milliseconds from releasing the button to the probability chart showing
    new numbers (Plotly has taken the new figure)."""
    from playwright.sync_api import sync_playwright

    from cnnviz_testing.browser import VIEWPORT, PageWatch, launch_chromium
    from cnnviz_testing.server import StreamlitServer

    read = (
        "() => { const g = document.querySelector('.st-key-insight_probs .js-plotly-plot');"
        " return g ? JSON.stringify(g._fullData.map(t => Array.from(t.x))) : null; }"
    )
    changed = f"(before) => {{ const now = ({read})(); return now !== null && now !== before; }}"
    times = []
    with StreamlitServer(home) as server, sync_playwright() as p:
        url = server.url
        browser = launch_chromium(p)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        web = PageWatch(page)
        web.goto(url + "/insight")
        page.locator(".st-key-insight_source").get_by_role("radio", name="Draw").click()
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=60_000)
        web.wait_idle()
        box = canvas.bounding_box()
        for i in range(repeats + 1):  # the first stroke warms up
            before = page.evaluate(read)
            x = box["x"] + box["width"] * (0.2 + 0.6 * (i % 7) / 7)
            y0, y1 = box["y"] + box["height"] * 0.3, box["y"] + box["height"] * 0.9
            page.mouse.move(x, y0)
            page.mouse.down()
            for k in range(1, 9):
                page.mouse.move(x + 3 * k, y0 + (y1 - y0) * k / 8)
            t = time.perf_counter()
            page.mouse.up()
            page.wait_for_function(changed, arg=before, timeout=60_000)
            if i:
                times.append(1000 * (time.perf_counter() - t))
            web.wait_idle()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--images",
        type=int,
        default=512,
        help="test images timed for networks above 28×28 (scaled to 10,000)",
    )
    parser.add_argument("--page", action="store_true", help="also time a whole page rerun")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also time strokes drawn in Chromium (to the chart's new numbers)",
    )
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_fashion_mnist()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    head = f"{'preset':<18}{'input':>8}{'load s':>8}{'classify ms':>13}{'stroke ms':>11}"
    print(head + f"{'10k matrix s':>15}")
    extra = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.presets:
            spec = PRESETS[name]
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                r = bench_preset(name, spec, data, Path(tmp), args.repeats, args.images)
            extra = max(extra, r["extra"])
            matrix = ("≈" if r["scaled"] else "") + f"{r['matrix']:.1f}"
            size = f"{spec.input_size}×{spec.input_size}"
            print(f"{name:<18}{size:>8}{r['load']:>8.2f}{r['classify']:>13.1f}"
                  f"{r['stroke']:>11.1f}{matrix:>15}", flush=True)  # fmt: skip
    print(f"(the matrix and the stored mistakes from the probabilities: {extra:.3f} s at most)")
    if args.page or args.browser:
        home = bench_home()
        if args.page:
            print(f"page rerun (AppTest, whole script, LeNet-ReLU): {page_ms(home, 7):.0f} ms "
                  "median")  # fmt: skip
        if args.browser:
            t = browser_ms(home, args.repeats)
            print(
                f"a stroke in Chromium, mouse up → new probabilities (LeNet-ReLU): median "
                f"{statistics.median(t):.0f} ms, max {max(t):.0f} ms ({len(t)} strokes)"
            )


if __name__ == "__main__":
    main()
