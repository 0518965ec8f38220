"""Accessibility in real Chromium: axe-core's WCAG 2.0/2.1 A and AA rules on every page in
English and Korean (as it opens and after one interaction), the keyboard, phones and tablets
with touch, and an accessible name on every chart and image.

axe-core comes from ``axe-playwright-python`` (pinned in requirements.txt, which bundles
axe-core's own script). README "Accessibility" lists what is allowed and why.
"""

from __future__ import annotations

import pytest

from cnnviz_testing.browser import next_frame
from conftest import PageWatch, start_server, stop_server

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Findings cnnviz cannot fix (inside Streamlit's own widgets), each as (rule, impact); README
# "Accessibility" gives the reason. Anything else, of any impact, fails the test.
ALLOWED: set[tuple[str, str]] = set()
PAGES = (
    "", "why_conv", "cross_correlation", "learn_kernel", "padding_stride", "channels", "pooling",
    "builder", "batch_norm", "data", "training", "insight", "ablation", "board", "classroom",
)  # fmt: skip
# a closed sidebar is moved off the screen's left edge
ON_SCREEN = (
    "() => { const r = document.querySelector('[data-testid=stSidebar]')"
    ".getBoundingClientRect(); return r.x + r.width > 0; }"
)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True}  # fmt: skip
TABLET = {"viewport": {"width": 768, "height": 1024}, "device_scale_factor": 2,
          "is_mobile": True, "has_touch": True}  # fmt: skip


@pytest.fixture(scope="module")
def a11y_server(tmp_path_factory, trained_run):
    """A server whose store holds the session's trained LeNet (imported from its file, so the
    Training page, the classifier and the lab have a run to show) and a second run of it."""
    from cnnviz.runs import RunStore

    home = tmp_path_factory.mktemp("a11y_home")
    store = RunStore(home)
    first, _ = store.import_run(trained_run[2], "lenet.safetensors")
    second = store.create(store.get(first).config, name="LeNet again", preset="LeNet")
    for row in store.metrics_rows(first):
        worse = {k: v * 0.9 for k, v in row.items() if k.endswith("acc") and v is not None}
        store.add_epoch(second, {**row, **worse})
    store.set_status(second, "finished")
    store.save_state_dict(second, store.load_state_dict(first))
    store.close()
    proc, url, log = start_server({"CNNVIZ_HOME": str(home)}, home / "server.log")
    yield url, first, second
    stop_server(proc, log)


def axe_findings(page) -> list[str]:
    """axe-core's WCAG A/AA violations on the page, minus the allowed ones, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    # ui/a11y.py's script runs once Streamlit has loaded its HTML element's code: wait for it
    page.wait_for_function("() => !!(window.cnnvizA11y && window.cnnvizA11y.fixed)")
    page.evaluate("() => window.cnnvizA11y.fixAll()")  # one round now, not a timer's wait

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    axe = Axe()
    # axe-core reaches into a frame only where its script is: put it in every frame first (a
    # live chart's, ui.live_chart), so the page's run checks the frames' content too
    for frame in page.frames[1:]:
        try:
            frame.evaluate(axe.axe_script)
        except Exception:  # noqa: BLE001 - a frame that went away as the page redrew
            continue
    results = axe.run(page, options=options).response
    return [
        f"{v['impact']} {v['id']} ({len(v['nodes'])}): "
        + "; ".join(f"{n['target']} {n['html'][:120]}" for n in v["nodes"][:3])
        for v in results["violations"]
        if (v["id"], v["impact"]) not in ALLOWED
    ]


def _choose(web: PageWatch, key: str, index: int) -> None:
    """Pick the option at ``index`` of a radio (with the arrow keys: its input is hidden, and
    Streamlit's header can cover its label) or of a segmented control (a click)."""
    group = web.page.locator(f".st-key-{key}")
    # the container comes first, the widget once its code has loaded
    group.locator("input[type=radio], button").first.wait_for(state="attached", timeout=60_000)
    radio = group.locator("input[type=radio]")
    if radio.count():
        group.locator("input[type=radio]:checked").focus()
        for _ in range(index):
            web.page.keyboard.press("ArrowRight")
    else:
        group.locator("button").nth(index).click()
    web.wait_idle()


def _select_nth(web: PageWatch, key: str, index: int) -> None:
    web.page.locator(f".st-key-{key} [data-testid=stSelectbox]").click()
    web.page.get_by_role("option").nth(index).click()
    web.wait_idle()


def _press_on(web: PageWatch, selector: str, key: str) -> None:
    web.page.locator(selector).first.wait_for(state="attached", timeout=60_000)
    web.page.locator(selector).first.focus()
    web.page.keyboard.press(key)
    web.wait_idle()


def interact(web: PageWatch, name: str, url: str, runs: tuple[str, str]) -> None:
    """One representative interaction on page ``name``, by language-independent selectors."""
    p = web.page
    if name == "":
        p.locator(".st-key-presenter_mode label").first.click()  # the presenter theme
        web.wait_idle()
    elif name == "why_conv":
        box = p.locator(".st-key-why_kernel_size input")
        box.fill("5")
        box.press("Enter")
        web.wait_idle()
    elif name == "cross_correlation":
        _press_on(web, ".st-key-xcorr_move_right button", "ArrowRight")
    elif name == "learn_kernel":
        p.locator(".st-key-learn_step button").click()
        web.wait_idle()
    elif name == "padding_stride":
        _select_nth(web, "pad_example", 3)
    elif name == "channels":
        _choose(web, "chan_bank", 1)
    elif name == "pooling":
        _choose(web, "pool_mode", 1)
    elif name == "builder":
        p.locator(".st-key-builder_show_maps label").first.click()
        web.wait_idle()
    elif name == "batch_norm":
        _choose(web, "bn_layer", 1)  # another layer's statistics
    elif name == "data":
        _press_on(web, ".st-key-data_per_class input[type=range]", "ArrowRight")
    elif name == "training":
        web.goto(f"{url}/training?run={runs[0]}&{p.url.partition('?')[2]}")  # a run shown
    elif name == "insight":
        _choose(web, "insight_source", 1)  # draw: the canvas and its alternative
    elif name == "ablation":
        lang = p.url.partition("?")[2]
        web.goto(f"{url}/ablation?group=store&runs={runs[0]},{runs[1]}&{lang}")  # compared
    elif name == "classroom":
        web.goto(f"{url}/classroom?view=projector&{p.url.partition('?')[2]}")  # the projector
    elif name == "board":  # no class open: the board says so, with nothing to press
        web.wait_idle()
    else:
        raise AssertionError(name)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing(a11y_server, web, name, lang):
    url, *runs = a11y_server
    web.goto(f"{url}/{name}" + ("?lang=ko" if lang == "ko" else ""))
    opened = axe_findings(web.page)
    assert web.page.evaluate("document.documentElement.lang") == lang
    interact(web, name, url, tuple(runs))
    after = axe_findings(web.page)
    assert (opened, after) == ([], []), {"open": opened, "after": after}
    web.assert_clean()


def _metric(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return m.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _wait_metric(web: PageWatch, label: str) -> None:
    try:
        web.page.wait_for_function(
            "(label) => [...document.querySelectorAll('[data-testid=stMetric]')]"
            ".some(m => m.innerText.includes(label))",
            arg=label, timeout=30_000,
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - said with what the page shows instead
        shown = web.page.locator("[data-testid=stMetric]").all_inner_texts()
        focus = web.page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
        raise AssertionError(f"no {label}: {shown}, focus {focus}") from exc
    web.wait_idle()


def _tab_to(page, selector: str, limit: int = 150) -> int:
    """Press Tab until the focus is inside ``selector``; the number of presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => !!document.activeElement.closest({selector!r})"):
            return n
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_step_through(server, web):
    """Skip link first, then Tab to the cell buttons; the arrow keys move the explained cell,
    and the sum, the output metric and the expression show the same number."""
    page = web.page
    web.goto(f"{server}/cross_correlation")
    page.keyboard.press("Tab")
    skip = page.evaluate("() => document.activeElement.className")
    assert skip == "cnnviz-skip"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.removesuffix("px")) >= 2  # the focus shows
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.tagName") == "H1"
    _tab_to(page, ".st-key-xcorr_cellnav")
    ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.removesuffix("px")) >= 2
    moves = (("ArrowRight", "0, 1"), ("ArrowRight", "0, 2"), ("ArrowDown", "1, 2"),
             ("ArrowLeft", "1, 1"), ("ArrowDown", "2, 1"))  # fmt: skip
    for key, cell in moves:
        page.keyboard.press(key)
        _wait_metric(web, f"Output Y[{cell}]")
    assert page.evaluate("() => !!document.activeElement.closest('.st-key-xcorr_cellnav')")
    assert _metric(page, "Output Y[2, 1]") == _metric(page, "Sum of the products") == "1"
    expr = page.locator("[data-testid=stMarkdownContainer]").filter(has_text="Y[2, 1] =")
    assert expr.first.inner_text().strip().endswith("= 1")  # d2l's 1·1 + 0·(−1) = 1
    # The book's Y[0, 1] = 1: back up, then left; the left edge disables "← Left".
    for key, cell in (("ArrowUp", "1, 1"), ("ArrowUp", "0, 1"), ("ArrowLeft", "0, 0")):
        page.keyboard.press(key)
        _wait_metric(web, f"Output Y[{cell}]")
    assert _metric(page, "Output Y[0, 0]") == "0"
    assert page.locator(".st-key-xcorr_move_left button").first.is_disabled()
    web.assert_clean()


def test_keyboard_only_pooling_change(server, web):
    page = web.page
    web.goto(f"{server}/pooling")
    _tab_to(page, ".st-key-pool_mode")
    page.keyboard.press("ArrowRight")  # a radio group: the arrow chooses the next option
    web.wait_idle()
    assert "pool_mode=avg" in page.url
    _tab_to(page, ".st-key-pool_kernel_size")
    page.keyboard.press("ArrowRight")
    web.wait_idle()
    assert "pool_kernel_size=" in page.url  # a value other than the default
    web.assert_clean()


CHARTS = "[data-testid=stMain] [data-testid=stPlotlyChart]"
NAMES = """() => [...document.querySelectorAll(%r)].map(e => {
    const named = e.closest('[aria-label]') || e.querySelector('[aria-label]');
    return named ? named.getAttribute('aria-label') : '';
})"""


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_and_image_has_a_name(a11y_server, web, name):
    url, *runs = a11y_server
    web.goto(f"{url}/{name}")
    interact(web, name, url, tuple(runs))
    names = web.page.evaluate(NAMES % CHARTS)
    assert all(n.strip() for n in names), names
    frames = web.page.evaluate(  # a live chart's frame (ui.live_chart) is named by its title
        "() => [...document.querySelectorAll('[data-testid=stMain] iframe')].map(f => f.title)"
    )
    assert all(t and t.strip() for t in frames), frames
    alts = web.page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain] img')].map(i => i.alt)"
    )
    assert all(a and a.strip() for a in alts), alts


def _overflow(page) -> list[str]:
    """What sticks out sideways: the page, or an element wider than the main area."""
    return page.evaluate(
        """() => {
        const out = [];
        const root = document.documentElement;
        if (root.scrollWidth > window.innerWidth + 1) out.push('page ' + root.scrollWidth);
        const main = document.querySelector('[data-testid=stMain]');
        if (main && main.scrollWidth > main.clientWidth + 1) out.push('main ' + main.scrollWidth);
        return out;
    }"""
    )


@pytest.mark.parametrize("device", [PHONE, TABLET], ids=["phone", "tablet"])
def test_no_page_overflows_sideways(a11y_server, browser, device):
    url, *runs = a11y_server
    context = browser.new_context(**device)
    web = PageWatch(context.new_page())
    try:
        found = {}
        for name in PAGES:
            web.goto(f"{url}/{name}")
            if over := _overflow(web.page):
                found[name or "home"] = over
        assert not found, found
        web.assert_clean()
    finally:
        context.close()


def test_phone_sidebar_closes_after_navigation(server, browser):
    context = browser.new_context(**PHONE)
    web = PageWatch(context.new_page())
    try:
        web.goto(f"{server}/")
        open_button = web.page.locator("[data-testid=stExpandSidebarButton]")
        link = web.page.locator("[data-testid=stSidebarNav] a[href$='/pooling']")

        def on_screen() -> bool:  # a closed sidebar is moved off the screen's left edge
            return web.page.evaluate(ON_SCREEN)

        assert not on_screen()  # closed on a phone
        open_button.tap()
        web.page.wait_for_function(ON_SCREEN, timeout=10_000)  # the sidebar slides in
        link.tap()
        web.wait_idle()
        assert web.page.url.split("?")[0].endswith("/pooling")
        web.page.wait_for_function(f"() => !({ON_SCREEN})()", timeout=10_000)
        assert not on_screen()  # closed again after the navigation
        web.assert_clean()
    finally:
        context.close()


TOOLBAR_OVERLAPS = """() => {
  const boxes = (sel) => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  const over = (a, b) => a.top < b.bottom && b.top < a.bottom && a.left < b.right
    && b.left < a.right;
  return boxes('[data-testid=stElementToolbar]').filter(t => t.height > 0).flatMap(t =>
    boxes('[data-testid=stSelectbox]').filter(s => over(t, s)).map(s => [t.top, s.bottom]));
}"""


def test_a_tables_toolbar_on_a_phone_covers_no_control(server, browser):
    """A touch screen shows a table's toolbar all the time: it must not lie over the
    selectbox above the table (the kernel's name on the cross-correlation lesson)."""
    context = browser.new_context(**PHONE)
    web = PageWatch(context.new_page())
    try:
        web.goto(f"{server}/cross_correlation?lang=ko")
        web.page.locator("[data-testid=stElementToolbar]").first.wait_for(state="attached")
        assert web.page.evaluate(TOOLBAR_OVERLAPS) == []
        web.assert_clean()
    finally:
        context.close()


def _touch_stroke(page, canvas, points) -> None:
    """One finger pressed, moved through ``points`` (fractions of the canvas), lifted."""
    box = canvas.bounding_box()
    xy = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in points]
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
        pts = [] if x is None else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": pts})

    touch("touchStart", *xy[0])
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        for k in range(1, 11):
            touch("touchMove", x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    touch("touchEnd")
    cdp.detach()


def test_touch_drawing_on_a_phone_is_classified(a11y_server, browser):
    url, *_ = a11y_server
    context = browser.new_context(**PHONE)
    web = PageWatch(context.new_page())
    page = web.page
    try:
        web.goto(f"{url}/insight")
        _choose(web, "insight_source", 1)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=60_000)
        canvas.scroll_into_view_if_needed()
        assert page.locator(".st-key-insight_probs .js-plotly-plot").count() == 0
        _touch_stroke(page, canvas, [(0.4, 0.25), (0.4, 0.9)])  # a pair of trousers
        _touch_stroke(page, canvas, [(0.6, 0.25), (0.6, 0.9)])
        page.wait_for_selector(".st-key-insight_probs .js-plotly-plot", timeout=60_000)
        web.wait_idle()
        probs = page.evaluate(
            "() => Array.from(document.querySelector('.st-key-insight_probs .js-plotly-plot')"
            "._fullData[0].x)"
        )
        assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-6
        assert not _overflow(page)
        web.assert_clean()
    finally:
        context.close()


# Machado, Oliveira and Fernandes (2009), severity 1: the colours a protanope or a deuteranope
# tells apart, as a matrix on linear-ish sRGB (what an SVG feColorMatrix applies).
CVD = {
    "protanopia": "0.152286 1.052583 -0.204868 0 0  0.114503 0.786281 0.099216 0 0  "
    "-0.003882 -0.048116 1.051998 0 0  0 0 0 1 0",
    "deuteranopia": "0.367322 0.860646 -0.227968 0 0  0.280085 0.672501 0.047413 0 0  "
    "-0.011820 0.042940 0.968881 0 0  0 0 0 1 0",
}
SIMULATE = """(args) => {
    const [name, values] = args;
    const ns = 'http://www.w3.org/2000/svg';
    let svg = document.getElementById('cnnviz-cvd');
    if (!svg) {
        svg = document.createElementNS(ns, 'svg');
        svg.id = 'cnnviz-cvd';
        svg.setAttribute('style', 'position:absolute;width:0;height:0');
        document.body.appendChild(svg);
    }
    svg.innerHTML = `<filter id="cvd-${name}" color-interpolation-filters="linearRGB">`
        + `<feColorMatrix type="matrix" values="${values}"/></filter>`;
    document.documentElement.style.filter = `url(#cvd-${name})`;
}"""


def test_colour_blind_views(a11y_server, web):
    """Three pages with curves and maps through a protanopia and a deuteranopia filter
    (screenshots/cvd_*.png, to look at; README "Accessibility" shows copies from docs/)."""
    url, first, second = a11y_server
    pages = {
        "xcorr": "/cross_correlation",
        "training": f"/training?run={first}",
        "ablation": f"/ablation?group=store&runs={first},{second}",
    }
    for page_name, path in pages.items():
        web.goto(url + path)
        web.page.wait_for_selector("[data-testid=stPlotlyChart] .main-svg", timeout=60_000)
        web.wait_idle()
        web.page.evaluate(  # the first chart at the top of the shot
            "() => document.querySelector('[data-testid=stPlotlyChart]').scrollIntoView()"
        )
        next_frame(web.page)  # scrolled
        for cvd, values in CVD.items():
            web.page.evaluate(SIMULATE, [cvd, values])
            next_frame(web.page)  # the filter painted
            shown = web.page.evaluate("() => getComputedStyle(document.documentElement).filter")
            assert f"cvd-{cvd}" in shown
            web.page.screenshot(path=str(web_shots() / f"cvd_{page_name}_{cvd}.png"))
        web.page.evaluate("() => { document.documentElement.style.filter = ''; }")
    web.assert_clean()


def web_shots():
    from conftest import REPO

    out = REPO / "screenshots"
    out.mkdir(exist_ok=True)
    return out
