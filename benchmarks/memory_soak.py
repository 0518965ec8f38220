"""Does the server's memory stay flat over a long session? Steady interaction, RSS over time.

Starts the app as ``browser_latency.py`` does (own port, own ``CNNVIZ_HOME``) and drives it
for ``--minutes`` from ``--clients`` Chromium pages (one browser): each client goes round the
lesson pages and the builder through the sidebar (page switches in one session), makes the
pages' main widget changes there (browser_latency.INTERACTIONS, each waited for until its
chart shows the new data), and reloads its page every ``--reload-every`` rounds (a new
session, so closed sessions must be freed too). The builder round also walks VGG and ResNet
presets. The server's resident memory (VmRSS from /proc; psutil is not installed) is sampled
every 10 s.

    .venv/bin/python benchmarks/memory_soak.py                    # 30 minutes, 2 clients
    .venv/bin/python benchmarks/memory_soak.py --minutes 6 --json

Goal: RSS at the end within 10% of RSS after 5 minutes. ``--target`` works as in
browser_latency.py; several targets are driven in turn by the same clients.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import browser_latency as bl  # this folder is on sys.path when run

from cnnviz_testing.browser import VIEWPORT, launch_chromium, wait_idle
from cnnviz_testing.procs import RssSampler

SAMPLE_S = 10
WARM_MIN = 5
NAV = {  # page path → its title in the sidebar
    "cross_correlation": "Cross-correlation (7.2)",
    "padding_stride": "Padding and stride (7.3)",
    "pooling": "Pooling (7.5)",
    "channels": "Channels (7.4)",
    "why_conv": "Why convolutions (7.1)",
    "learn_kernel": "Learn a kernel (7.2)",
    "builder": "Architecture builder (7.6, 8.2, 8.6)",
}
BUILDER_TOUR = (  # family radio label, preset: every builder figure kind
    ("VGG (8.2)", "VGG-small-56"),
    ("ResNet (8.6)", "ResNet-18"),
    ("LeNet (7.6)", "LeNet"),
)


def goto_page(page, path: str, chart: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=NAV[path]).click()
    page.wait_for_url(f"**/{path}*")
    wait_idle(page, 90_000)
    page.wait_for_selector(f".st-key-{chart} .js-plotly-plot")


def builder_tour(page) -> None:
    for family, preset in BUILDER_TOUR:
        page.locator(".st-key-builder_family").get_by_text(family, exact=True).click()
        wait_idle(page, 90_000)
        page.locator(".st-key-builder_preset [data-testid=stSelectbox]").click()
        page.get_by_role("option", name=preset, exact=True).click()
        wait_idle(page, 90_000)


def one_round(t, page, reload: bool, errors: list[str]) -> int:
    """Every interaction once on one client; returns the number of changes made. A change
    that fails (a click lost on a busy machine) is noted in ``errors`` and the client starts
    again from a fresh page; the soak goes on (its subject is the server's memory)."""
    changes = 0
    if reload:
        bl.open_page(t, bl.INTERACTIONS[0])
    for it in bl.INTERACTIONS:
        try:
            goto_page(page, it.path, it.chart)
            for j in range(2):
                bl.change(page, it, it.values[j % len(it.values)], t.proc.pid)
                changes += 1
            if it.path == "builder":
                builder_tour(page)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - noted, then a fresh page
            if t.proc.poll() is not None:
                raise SystemExit(f"{t.name}: the server exited") from exc
            errors.append(f"{it.name}: {str(exc).splitlines()[0][:160]}")
            bl.open_page(t, bl.INTERACTIONS[0])
    return changes


def at_minute(samples: list[tuple[float, float]], minute: float) -> float:
    """The first sample at or after ``minute`` (the last one if the run was shorter)."""
    for s, mb in samples:
        if s >= minute * 60:
            return mb
    return samples[-1][1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--clients", type=int, default=2, help="Chromium pages, one browser")
    ap.add_argument("--reload-every", type=int, default=3, help="rounds between reloads")
    ap.add_argument("--target", action="append", default=[], help="as browser_latency.py")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    targets = [bl.Target.parse(s) for s in args.target] or [bl.Target()]
    from playwright.sync_api import sync_playwright

    changes = {t.name: 0 for t in targets}
    errors: dict[str, list[str]] = {t.name: [] for t in targets}
    try:
        for t in targets:
            bl.start_server(t)
        with (
            RssSampler({t.name: t.proc.pid for t in targets}, SAMPLE_S) as sampler,
            sync_playwright() as p,
        ):
            t0 = sampler.t0
            browser = launch_chromium(p)
            pages = {}
            for t in targets:
                pages[t.name] = []
                for _ in range(args.clients):
                    ctx = browser.new_context(viewport=VIEWPORT)
                    ctx.add_init_script(bl.INIT_JS)
                    t.page = ctx.new_page()
                    t.page.set_default_timeout(120_000)
                    bl.open_page(t, bl.INTERACTIONS[0])
                    pages[t.name].append(t.page)
            k = 0
            while time.monotonic() - t0 < args.minutes * 60:
                for t in targets:
                    for page in pages[t.name]:
                        t.page = page
                        reload = k > 0 and k % args.reload_every == 0
                        changes[t.name] += one_round(t, page, reload, errors[t.name])
                        if time.monotonic() - t0 >= args.minutes * 60:
                            break
                k += 1
            browser.close()
            elapsed = time.monotonic() - t0
        samples = sampler.samples
    finally:
        for t in targets:
            bl.stop_server(t)
    report = {}
    for t in targets:
        s = samples[t.name]
        warm, end = at_minute(s, WARM_MIN), s[-1][1]
        report[t.name] = {
            "rss_mb_start": round(s[0][1]),
            f"rss_mb_at_{WARM_MIN}_min": round(warm),
            "rss_mb_end": round(end),
            "rss_mb_max": round(max(mb for _, mb in s)),
            "end_vs_5_min": round(end / warm - 1, 4),
            "changes": changes[t.name],
            "failed_changes": errors[t.name],
            "minutes": round(elapsed / 60, 1),
            "series_mb": [(round(sec), round(mb)) for sec, mb in s[:: max(1, 60 // SAMPLE_S)]],
        }
    if args.json:
        print(json.dumps({"cpus": os.cpu_count(), "clients": args.clients, "targets": report}))
        return
    for name, r in report.items():
        warm, delta = r[f"rss_mb_at_{WARM_MIN}_min"], 100 * r["end_vs_5_min"]
        print(f"{name}: {r['changes']} changes by {args.clients} clients in {r['minutes']} min; "
              f"server RSS {r['rss_mb_start']} MB at start, {warm} MB after {WARM_MIN} min, "
              f"{r['rss_mb_end']} MB at the end (max {r['rss_mb_max']}); end vs {WARM_MIN} min: "
              f"{delta:+.1f}% (goal within ±10%)")  # fmt: skip
        print("  per minute (s, MB): " + ", ".join(f"{a}:{b}" for a, b in r["series_mb"]))
        if r["failed_changes"]:
            print(f"  {len(r['failed_changes'])} changes failed (client restarted): "
                  + "; ".join(r["failed_changes"][:5]))  # fmt: skip


if __name__ == "__main__":
    main()
