"""How fast the architecture builder answers a widget change, per preset, once warm.

Two measurements per preset at its default input size:
- library: ``layer_summary`` (meta device), ``to_code`` and the diagram for a spec never seen
  before (what a widget change costs when nothing is cached);
- page: one AppTest rerun of app_pages/builder.py after changing ``num_classes`` to a value not
  seen before (the whole script, cache misses included; AppTest adds its own overhead, so
  the browser sees less). Median of ``--repeats`` changes.

Run: ``.venv/bin/python benchmarks/builder_bench.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

from cnnviz.models import PRESETS, default_input_shape, family_of, layer_summary, to_code
from cnnviz.models.summary import diagram_rows
from cnnviz.plots.models import network_diagram

REPO = Path(__file__).resolve().parents[1]


def library_ms(spec, repeats: int) -> float:
    times = []
    for i in range(repeats):
        fresh = dataclasses.replace(spec, num_classes=100 + i)
        t = time.perf_counter()
        summary = layer_summary(fresh)
        to_code(fresh)
        rows = diagram_rows(fresh) if family_of(fresh).branching else summary
        network_diagram(rows, default_input_shape(fresh))
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def page_ms(repeats: int, names: list[str]) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app_pages" / "builder.py"), default_timeout=120).run()
    out = {}
    counter = 200
    for name in names:
        spec = PRESETS[name]
        at.radio(key="builder_family").set_value(spec.family).run()
        at.selectbox(key="builder_preset").set_value(name).run()
        times = []
        for _ in range(repeats):
            counter += 1
            at.number_input(key="builder_num_classes").set_value(counter)
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
            assert not at.exception and not at.error, name
        out[name] = 1000 * statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--presets",
        nargs="*",
        default=list(PRESETS),
        choices=list(PRESETS),
        help="the presets to time (default: every preset of every family)",
    )
    args = parser.parse_args()
    for spec in PRESETS.values():  # warm up torch and the meta device
        layer_summary(spec)
    pages = page_ms(args.repeats, args.presets)
    print(f"{'preset':<18}{'input':>9}{'library ms':>12}{'page rerun ms':>15}")
    for name in args.presets:
        spec = PRESETS[name]
        size = f"{spec.input_size}×{spec.input_size}"
        lib = library_ms(spec, args.repeats)
        print(f"{name:<18}{size:>9}{lib:>12.0f}{pages[name]:>15.0f}")


if __name__ == "__main__":
    main()
