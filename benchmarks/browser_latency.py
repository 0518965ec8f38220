"""What a student feels: time from a widget change to the updated chart, in real Chromium.

For the main interaction of every lesson page and the builder, this starts its own server
(``python -m streamlit run app.py --server.address 127.0.0.1`` on a free port, with its own
``CNNVIZ_HOME`` temp folder), opens the page in Debian's Chromium through Playwright (launched
as tests/conftest.py does), and times ``--repeats`` real changes (a click on a selectbox option
or a radio label, an arrow key on a focused slider), alternating between values so every change
is a real one. One browser, one page at a time; the server is otherwise idle.

How one change is timed (all on the page's own clock, ``performance.now()``):

* **start** is the ``timeStamp`` of the first ``pointerdown`` or ``keydown`` event after the
  page is armed (a capturing listener on ``document``): the moment the browser got the input.
* **chart shows the new data**: the watched chart is the Plotly graph div inside the element
  with the chart's key (``.st-key-<key> .js-plotly-plot``). A signature of what it draws is
  taken from ``gd._fullData`` (Plotly's processed traces, so Plotly has taken the new figure):
  a checksum of every trace's ``z``/``x``/``y``/``text``/``customdata``/image source, plus the
  layout's shapes, annotations and title. The chart shows the new data when the signature
  differs from the one read just before the change.
* **app idle**: ``[data-testid=stApp]`` has ``data-test-script-state="notRunning"``.
* **done** is the ``requestAnimationFrame`` timestamp of the first frame in which both hold
  (checked every frame, so the frame that paints the new chart). The page then watches 0.5 s
  more: if the app runs again or the chart changes again (a second rerun), done moves to the
  last frame where both hold, so a change only counts when it has settled.
* **server first / last message**: the page's WebSocket is wrapped (an init script) to note
  when Streamlit's messages for the change arrive; ``last`` is the rerun's final message, so
  ``done − last`` is the browser's own share (React and Plotly drawing).
* **server CPU / browser CPU**: CPU time of the server process, and of this benchmark's other
  children (Playwright's driver and Chromium's processes), from just before the input until
  the change settled (so the browser's includes the 0.5 s watch, where Streamlit's charts
  re-plot once for their width). Other programs on the machine inflate wall times, not these.

    .venv/bin/python benchmarks/browser_latency.py                 # every interaction, 15 each
    .venv/bin/python benchmarks/browser_latency.py --repeats 5 --only xcorr_preset pool_mode
    .venv/bin/python benchmarks/browser_latency.py --json > latency.json

A/B in one run (the same page state, the changes interleaved, so a busy machine slows both
alike): each ``--target`` is a server of its own, ``name=… dir=… arg=… env=…`` (``dir`` another
checkout of the app, served with this venv; ``arg`` a ``streamlit run`` option; ``env`` a
variable), e.g.::

    --target "name=gc" --target "name=nogc arg=--runner.postScriptGC=false"

Goals (one browser, idle server): every lesson interaction median ≤ 150 ms and p95 ≤ 250 ms;
the builder's preset change ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from cnnviz_testing import REPO as ROOT
from cnnviz_testing.browser import CHROMIUM, VIEWPORT, launch_chromium, wait_idle
from cnnviz_testing.procs import cpu_ms, descendants_cpu_ms, rss_mb
from cnnviz_testing.server import StreamlitServer

SETTLE_MS = 500
CHANGE_TIMEOUT_S = 60
WARMUP = 2
LESSON_GOAL = (150, 250)  # (median, p95) ms for every lesson page's interaction


@dataclass(frozen=True)
class Interaction:
    """One widget change on one page, and the chart that must show its result."""

    name: str
    label: str
    path: str
    kind: str  # select | radio | slider | step
    key: str  # the widget's key (its element has the class st-key-<key>)
    values: tuple[str, ...]  # alternated; slider/step: "right"/"left", "up"/"down"
    chart: str  # the chart's key
    goal: tuple[int, int] | None = None  # (median, p95) ms; p95 None: median only


INTERACTIONS = (
    Interaction("xcorr_preset", "Cross-correlation: kernel preset", "cross_correlation",
                "select", "xcorr_kernel_preset", ("Sobel x", "Laplacian"), "xcorr_out_chart",
                LESSON_GOAL),
    Interaction("xcorr_cell", "Cross-correlation: output cell (row +/−)", "cross_correlation",
                "step", "xcorr_row", ("up", "down"), "xcorr_out_chart", LESSON_GOAL),
    Interaction("pad_slider", "Padding and stride: kernel-height slider", "padding_stride",
                "slider", "pad_kernel_h", ("right", "left"), "pad_output_chart", LESSON_GOAL),
    Interaction("pool_mode", "Pooling: mode max/avg", "pooling", "radio", "pool_mode",
                ("avg", "max"), "pool_output", LESSON_GOAL),
    Interaction("chan_kernel", "Channels: kernel for red", "channels", "select",
                "chan_kernel_red", ("Laplacian", "Sobel x"), "chan_sum_chart", LESSON_GOAL),
    Interaction("why_shift", "Why convolutions: shift slider", "why_conv", "slider", "why_dx",
                ("right", "left"), "why_shift_chart", LESSON_GOAL),
    Interaction("learn_target", "Learn a kernel: target kernel", "learn_kernel", "select",
                "learn_target", ("Sobel x", "Edge [1, -1] (d2l)"), "learn_target_fig", LESSON_GOAL),
    Interaction("builder_preset", "Builder: preset LeNet / LeNet-ReLU", "builder", "select",
                "builder_preset", ("LeNet-ReLU", "LeNet"), "builder_diagram", (500, None)),
)  # fmt: skip

# Installed before every page load: the input listener, the WebSocket wrapper, the watcher.
INIT_JS = r"""
(() => {
  const num = (v) => (typeof v === 'number' && isFinite(v)) ? v : 0;
  function fold(h, v, depth) {
    if (v === null || v === undefined) return h;
    if (typeof v === 'number') return (h * 31 + Math.round(v * 1e6)) % 2147483647;
    if (typeof v === 'string') {
      for (let i = 0; i < v.length; i += Math.max(1, v.length >> 10)) {
        h = (h * 31 + v.charCodeAt(i)) % 2147483647;
      }
      return (h * 31 + v.length) % 2147483647;
    }
    if (typeof v === 'boolean') return (h * 31 + (v ? 1 : 2)) % 2147483647;
    if (depth > 4) return h;
    if (ArrayBuffer.isView(v) || Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) h = fold(h, v[i], depth + 1);
      return (h * 31 + v.length) % 2147483647;
    }
    return h;
  }
  const FIELDS = ['type', 'z', 'x', 'y', 'text', 'customdata', 'source'];
  function signature(key) {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!gd || !gd._fullData || !gd._fullLayout) return null;
    let h = 7;
    for (const t of gd._fullData) for (const f of FIELDS) h = fold(h, t[f], 0);
    const L = gd._fullLayout;
    for (const s of (L.shapes || [])) h = fold(h, [num(s.x0), num(s.x1), num(s.y0), num(s.y1)], 0);
    for (const a of (L.annotations || [])) h = fold(h, String(a.text), 0);
    h = fold(h, L.title ? String(L.title.text) : '', 0);
    return `${gd._fullData.length}:${h}`;
  }
  const idle = () => {
    const app = document.querySelector('[data-testid=stApp]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning';
  };
  function frame(ts) {
    const w = window.__lat;
    if (!w || w.final) return;
    if (w.start !== null && ts > w.start) {
      const s = signature(w.key);
      const ok = idle() && s !== null && s !== w.old;
      if (ok && (w.done === null || s !== w.sig)) { w.done = ts; w.sig = s; }
      if (!ok && w.done !== null) { w.done = null; w.sig = null; }  // ran again: not settled
      if (w.done !== null && ts - w.done > w.settle) { w.final = true; return; }
    }
    requestAnimationFrame(frame);
  }
  const onInput = (e) => {
    const w = window.__lat;
    if (w && w.start === null) w.start = e.timeStamp;
  };
  document.addEventListener('pointerdown', onInput, true);
  document.addEventListener('keydown', onInput, true);
  const Orig = window.WebSocket;
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        const w = window.__lat;
        if (!w || w.start === null || w.final) return;
        const t = performance.now();
        if (w.first === null) w.first = t;
        if (w.done === null) w.last = t;
      });
    }
  };
  window.__cnnvizSignature = signature;
  window.__cnnvizArm = (key, settle) => {
    window.__lat = {key, settle, old: signature(key), start: null, done: null, sig: null,
                    first: null, last: null, final: false};
    requestAnimationFrame(frame);
    return window.__lat.old;
  };
})();
"""


@dataclass
class Target:
    """One server to measure: a checkout, ``streamlit run`` options and environment."""

    name: str = "app"
    dir: Path = ROOT
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    server: StreamlitServer | None = None
    url: str = ""
    page: object = None

    @classmethod
    def parse(cls, spec: str) -> Target:
        t = cls()
        for token in shlex.split(spec):
            k, _, v = token.partition("=")
            if k == "name":
                t.name = v
            elif k == "dir":
                t.dir = Path(v).resolve()
            elif k == "arg":
                t.args.append(v)
            elif k == "env":
                name, _, value = v.partition("=")
                t.env[name] = value
            else:
                raise SystemExit(f"--target: unknown field {k!r} in {spec!r}")
        return t

    @property
    def proc(self):
        return self.server.proc if self.server is not None else None

    @property
    def home(self) -> Path:
        return self.server.home


def start_server(t: Target) -> None:
    """The harness's server for this target, with its own run store."""
    t.server = StreamlitServer(env=t.env, args=t.args, app_dir=t.dir).start()
    t.url = t.server.url
    SERVERS.add(t.server.pid)


def stop_server(t: Target) -> None:
    if t.server is not None:
        t.server.stop()


def open_page(t: Target, it: Interaction) -> None:
    page = t.page
    page.goto(f"{t.url}/{it.path}")
    wait_idle(page, 90_000)
    page.wait_for_selector(f".st-key-{it.chart} .js-plotly-plot")  # Plotly's code loads lazily
    wait_idle(page, 90_000)


def browser_cpu_ms(servers: set[int]) -> float:
    """CPU time so far of this benchmark's children (Playwright's driver and Chromium's
    processes), servers excluded: the browser's share, which machine load does not inflate."""
    return descendants_cpu_ms(os.getpid(), exclude=servers)


SERVERS: set[int] = set()


def change(page, it: Interaction, value: str, pid: int) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    """Make one real change and return the page's timings (ms since the input event) and the
    server's CPU time for it (which a busy machine does not inflate as it does wall time)."""
    box = page.locator(f".st-key-{it.key}")
    box.scroll_into_view_if_needed()
    if it.kind == "select":
        option = page.get_by_role("option", name=value, exact=True)
        for _ in range(3):  # a click during a redraw can miss the box: open it again
            box.locator("[data-testid=stSelectbox]").click()
            try:
                option.wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        else:
            raise SystemExit(f"{it.name}: the list of {it.key} did not open")
        act = option.click
    elif it.kind == "radio":
        act = box.get_by_text(value, exact=True).click
    elif it.kind == "slider":
        thumb = box.get_by_role("slider")
        thumb.focus()
        key = {"right": "ArrowRight", "left": "ArrowLeft"}[value]
        act = lambda: thumb.press(key)  # noqa: E731
    elif it.kind == "step":
        test_id = {"up": "stNumberInputStepUp", "down": "stNumberInputStepDown"}[value]
        act = box.get_by_test_id(test_id).click
    else:
        raise ValueError(it.kind)
    before = page.evaluate("([k, s]) => window.__cnnvizArm(k, s)", [it.chart, SETTLE_MS])
    if before is None:
        raise SystemExit(f"{it.name}: no chart .st-key-{it.chart} on /{it.path}")
    cpu, browser = cpu_ms(pid), browser_cpu_ms(SERVERS | {pid})
    act()
    try:
        page.wait_for_function(
            "() => window.__lat.final", polling=50, timeout=CHANGE_TIMEOUT_S * 1000
        )
    except PlaywrightTimeout as exc:  # say which change never showed, then stop
        raise SystemExit(f"{it.name}: the chart did not change after {value!r}: {exc}") from exc
    w = page.evaluate("() => window.__lat")
    start = w["start"]
    return {
        "ms": w["done"] - start,
        "server_cpu_ms": cpu_ms(pid) - cpu,
        "browser_cpu_ms": browser_cpu_ms(SERVERS | {pid}) - browser,
        "first_msg_ms": None if w["first"] is None else w["first"] - start,
        "last_msg_ms": None if w["last"] is None else w["last"] - start,
    }


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def summarise(samples: list[dict]) -> dict:
    ms = [s["ms"] for s in samples]
    last = [s["last_msg_ms"] for s in samples if s["last_msg_ms"] is not None]
    first = [s["first_msg_ms"] for s in samples if s["first_msg_ms"] is not None]
    cpu = [s["server_cpu_ms"] for s in samples]
    browser = [s["browser_cpu_ms"] for s in samples]
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": p95(ms),
        "max_ms": max(ms),
        "first_msg_median_ms": statistics.median(first) if first else None,
        "last_msg_median_ms": statistics.median(last) if last else None,
        "server_cpu_median_ms": statistics.median(cpu),
        "browser_cpu_median_ms": statistics.median(browser),
        "samples_ms": [round(x, 1) for x in ms],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=15, help="timed changes per interaction")
    ap.add_argument("--only", nargs="*", help="interaction names: " + ", ".join(
        i.name for i in INTERACTIONS))  # fmt: skip
    ap.add_argument("--target", action="append", default=[], help="name=… dir=… arg=… env=…")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = ap.parse_args()
    chosen = [i for i in INTERACTIONS if not args.only or i.name in args.only]
    if not chosen:
        raise SystemExit(f"--only: none of {args.only} is an interaction")
    targets = [Target.parse(s) for s in args.target] or [Target()]
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, dict]] = {t.name: {} for t in targets}
    rss: dict[str, float] = {}
    try:
        for t in targets:
            start_server(t)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for t in targets:
                ctx = browser.new_context(viewport=VIEWPORT)
                ctx.add_init_script(INIT_JS)
                t.page = ctx.new_page()
                t.page.set_default_timeout(90_000)
            for it in chosen:
                for t in targets:
                    open_page(t, it)
                samples: dict[str, list[dict]] = {t.name: [] for t in targets}
                for k in range(WARMUP + args.repeats):
                    value = it.values[k % len(it.values)]
                    for t in targets:  # interleaved: both see the same machine load
                        s = change(t.page, it, value, t.proc.pid)
                        if k >= WARMUP:
                            samples[t.name].append(s)
                        t.page.wait_for_timeout(150)
                for t in targets:
                    results[t.name][it.name] = summarise(samples[t.name])
            for t in targets:
                rss[t.name] = rss_mb(t.proc.pid)
            browser.close()
    finally:
        for t in targets:
            stop_server(t)

    meta = {
        "cpus": os.cpu_count(),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "repeats": args.repeats,
        "server_rss_mb_end": {k: round(v) for k, v in rss.items()},
        "chromium": CHROMIUM,
    }
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=1))
        return
    print(f"Change → updated chart with the app idle, in Chromium; {args.repeats} changes each "
          f"after {WARMUP} warm-up; {meta['cpus']} CPUs, load average "
          f"{meta['load_avg_1m_end']} at the end; ms.\n")  # fmt: skip
    many = len(targets) > 1
    head = "| interaction |" + (" server |" if many else "")
    print(head + " median | p95 | max | last message | server CPU | browser CPU | goal |")
    print("|---|" + ("---|" if many else "") + "---|---|---|---|---|---|---|")
    for it in chosen:
        for t in targets:
            r = results[t.name][it.name]
            goal = "" if it.goal is None else f"≤ {it.goal[0]}" + (
                f" / p95 ≤ {it.goal[1]}" if it.goal[1] else "")  # fmt: skip
            last = r["last_msg_median_ms"]
            print(f"| {it.label} |" + (f" {t.name} |" if many else "")
                  + f" {r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | "
                  f"{'–' if last is None else f'{last:.0f}'} | "
                  f"{r['server_cpu_median_ms']:.0f} | {r['browser_cpu_median_ms']:.0f} | "
                  f"{goal} |")  # fmt: skip
    if many:
        base = targets[0].name
        for t in targets[1:]:
            ratios = [results[t.name][i.name]["median_ms"] / results[base][i.name]["median_ms"]
                      for i in chosen]  # fmt: skip
            print(
                f"\n{t.name} / {base}, median ratio per interaction: "
                + ", ".join(f"{i.name} {r:.2f}" for i, r in zip(chosen, ratios, strict=True))
            )
    print("\nServer RSS at the end: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))


if __name__ == "__main__":
    main()
