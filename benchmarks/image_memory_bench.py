"""How much memory decoding an upload takes: the worst images a page accepts (or refuses).

Each image is made here with Pillow and written to a scratch folder; then, in a fresh
interpreter per image, its bytes are read and ``cnnviz.images.load_upload`` decodes them as a
page does (grey at 512 pixels, the lesson pages; colour at 128, the Channels page). The child
reports the growth of its resident memory beyond what it held with the bytes read: the
kernel's high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs`` just before the
decode, so it catches every spike) and, as a check, the peak of ``/proc/self/statm`` sampled
every 2 ms.

Run: ``.venv/bin/python benchmarks/image_memory_bench.py [--only NAME …]``
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
from cnnviz import images
images.load_upload(images.to_png(images.seed_stripes()), "warm-up")  # Pillow's plugins loaded
def high_water():  # VmHWM, reset below so that it counts from here on
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM"))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = rss()
peak, done = [base], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
threading.Thread(target=sample, daemon=True).start()
t = time.perf_counter()
try:
    got = images.load_upload(data, "bench", max_side={max_side}, color={color})
    result = "x".join(map(str, got.X.shape)) + (" · " + "; ".join(got.notes) if got.notes else "")
except images.ImageError as exc:
    result = "refused: " + str(exc)
seconds = time.perf_counter() - t
done.set()
high = high_water()
print(json.dumps({{"seconds": seconds, "sampled_mb": (peak[0] - base) / 2**20,
                  "high_water_mb": (high - base) / 2**20, "result": result}}))
"""
)


def make_images(folder: Path) -> dict[str, Path]:
    """The worst cases, each written once (flat colours: tiny files, full-size decodes)."""
    from PIL import Image

    specs = {
        "8000×8000 RGBA PNG": lambda: Image.new("RGBA", (8000, 8000), (200, 30, 30, 128)),
        "8000×8000 RGB PNG": lambda: Image.new("RGB", (8000, 8000), (200, 30, 30)),
        "8000×8000 16-bit grey PNG": lambda: Image.new("I;16", (8000, 8000), 40_000),
        "8000×8000 palette PNG, transparent": lambda: _palette(),
        "8000×8000 grey+alpha PNG": lambda: Image.new("LA", (8000, 8000), (90, 128)),
        "64,000,000×1 PNG": lambda: Image.new("L", (64_000_000, 1), 128),
        "55,000×1,100 RGBA PNG (50:1)": lambda: Image.new("RGBA", (55_000, 1_100), (9, 9, 9, 9)),
        "8000×8000 JPEG": lambda: Image.new("RGB", (8000, 8000), (200, 30, 30)),
        "8000×8000 progressive JPEG": lambda: Image.new("RGB", (8000, 8000), (200, 30, 30)),
        "8000×8000 progressive JPEG 4:4:4": lambda: Image.new("RGB", (8000, 8000), (20, 30, 9)),
        "10000×8900 JPEG": lambda: Image.new("RGB", (10_000, 8_900), (200, 30, 30)),
    }
    out = {}
    for name, make in specs.items():
        jpeg = "JPEG" in name
        path = folder / f"{len(out)}.{'jpg' if jpeg else 'png'}"
        if not path.exists():
            img = make()
            if jpeg:
                kwargs = {"quality": 90, "progressive": "progressive" in name}
                if "4:4:4" in name:
                    kwargs["subsampling"] = 0
                img.save(path, "JPEG", **kwargs)
            else:
                img.save(path, "PNG", compress_level=9)
            del img
        out[name] = path
    return out


def _palette():
    from PIL import Image

    img = Image.new("P", (8000, 8000), 1)
    img.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    img.info["transparency"] = 0
    return img


def measure(path: Path, max_side: int, color: bool) -> dict:
    code = CHILD.format(repo=str(REPO), path=str(path), max_side=max_side, color=color)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="*", help="names containing these words")
    p.add_argument("--folder", default=None, help="keep the images here between runs")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = make_images(folder)
        print(f"{'image':38} {'file':>9} {'page':>10} {'peak MB':>8} {'(sampled)':>9} "
              f"{'s':>5}  result")  # fmt: skip
        for name, path in paths.items():
            if args.only and not any(w in name for w in args.only):
                continue
            size = path.stat().st_size
            for max_side, color, page in ((512, False, "grey 512"), (128, True, "RGB 128")):
                r = measure(path, max_side, color)
                print(
                    f"{name:38} {size / 1024:>7.0f}KB {page:>10} {r['high_water_mb']:>8.0f} "
                    f"{r['sampled_mb']:>9.0f} {r['seconds']:>5.2f}  {r['result'][:90]}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
