"""Where a rerun's time goes in the real server: cProfile around Streamlit's script runs.

Starts the app as ``browser_latency.py`` does, with a ``sitecustomize`` on ``PYTHONPATH`` that
wraps ``ScriptRunner._run_script`` (the whole script run on its thread: the router, the
sidebar, the page, figure building and serialisation into protobuf, and Streamlit's
post-script garbage collection) in ``cProfile``. Chromium then makes ``--repeats`` real changes
of one interaction (see browser_latency.INTERACTIONS); the profiles of those runs are merged
and the top functions printed, by cumulative and by own time, plus the run times themselves.

    .venv/bin/python benchmarks/profile_rerun.py xcorr_preset --repeats 10
    .venv/bin/python benchmarks/profile_rerun.py pad_slider --target "env=CNNVIZ_GC_FREEZE=0"

cProfile slows Python code down (roughly 1.5–2×), so read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import io
import pstats
import tempfile
from pathlib import Path

import browser_latency as bl

SITECUSTOMIZE = """
import cProfile, os, time
_OUT = os.environ["CNNVIZ_PROFILE_DIR"]
from streamlit.runtime.scriptrunner import script_runner as _sr
_orig = _sr.ScriptRunner._run_script
def _run_script(self, *args, **kwargs):
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    try:
        return _orig(self, *args, **kwargs)
    finally:
        prof.disable()
        ms = (time.perf_counter() - t0) * 1000
        prof.dump_stats(os.path.join(_OUT, f"{time.time_ns()}_{ms:.1f}.prof"))
_sr.ScriptRunner._run_script = _run_script
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("interaction", choices=[i.name for i in bl.INTERACTIONS])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--target", default="", help="as browser_latency.py's --target")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    it = next(i for i in bl.INTERACTIONS if i.name == args.interaction)
    with tempfile.TemporaryDirectory() as site, tempfile.TemporaryDirectory() as out:
        (Path(site) / "sitecustomize.py").write_text(SITECUSTOMIZE)
        t = bl.Target.parse(args.target)
        t.env.update(CNNVIZ_PROFILE_DIR=out, PYTHONPATH=site)
        from playwright.sync_api import sync_playwright

        try:
            bl.start_server(t)
            with sync_playwright() as p:
                browser = bl.launch_chromium(p)
                ctx = browser.new_context(viewport=bl.VIEWPORT)
                ctx.add_init_script(bl.INIT_JS)
                t.page = ctx.new_page()
                t.page.set_default_timeout(90_000)
                bl.open_page(t, it)
                for k in range(bl.WARMUP):
                    bl.change(t.page, it, it.values[k % len(it.values)], t.proc.pid)
                    t.page.wait_for_timeout(300)
                before = set(Path(out).iterdir())
                feel = []
                for k in range(args.repeats):
                    s = bl.change(
                        t.page, it, it.values[(bl.WARMUP + k) % len(it.values)], t.proc.pid
                    )
                    feel.append(s["ms"])
                    t.page.wait_for_timeout(300)
                browser.close()
        finally:
            bl.stop_server(t)
        runs = sorted(set(Path(out).iterdir()) - before)
        if not runs:
            raise SystemExit("no script run was profiled")
        times = [float(r.stem.split("_")[1]) for r in runs]
        stats = pstats.Stats(str(runs[0]), stream=io.StringIO())
        for r in runs[1:]:
            stats.add(str(r))
        print(f"{it.label}: {len(runs)} script runs for {args.repeats} changes; run ms "
              f"(profiled) median {sorted(times)[len(times) // 2]:.0f}, all "
              f"{[round(x) for x in times]}; browser ms median "
              f"{sorted(feel)[len(feel) // 2]:.0f}\n")  # fmt: skip
        for order in ("cumulative", "tottime"):
            buf = io.StringIO()
            stats.stream = buf
            stats.sort_stats(order).print_stats(args.top)
            text = buf.getvalue()
            print(f"--- by {order} (totals over all runs) ---")
            print(text[text.find("   ncalls") :])


if __name__ == "__main__":
    main()
