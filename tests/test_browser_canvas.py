"""In real Chromium: draw on the canvas of the cross-correlation page and watch the output
change; click the output heatmap to pick the explained cell; screenshots of both pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    """The value of the st.metric whose label is ``label``."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _shoot(web, name: str) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its own container, so the
    viewport is made tall enough instead."""
    web.page.set_viewport_size({"width": 1400, "height": 2600})
    web.wait_charts()
    web.screenshot(name)


def _open(web, url: str) -> None:
    web.goto(url)


def test_drawing_a_stroke_changes_the_output(server, web):
    _open(web, f"{server}/cross_correlation")
    page = web.page
    _choose(page, "Input image", "Draw")
    web.wait_idle()
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    before = _metric(page, "Mean |Y|")
    assert _metric(page, "Input X") == "6×8"  # the stripes stand in until something is drawn

    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.25
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 21):  # a diagonal stroke, then across
        page.mouse.move(x0 + 8 * k, y0 + 6 * k, steps=2)
    for k in range(1, 11):
        page.mouse.move(x0 + 160 - 10 * k, y0 + 120, steps=2)
    page.mouse.up()

    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some(m => m.innerText.includes('Input X') && m.innerText.includes('28×28'))""",
        timeout=60_000,
    )
    web.wait_idle()
    after = _metric(page, "Mean |Y|")
    assert after != before and float(after) > 0
    assert _metric(page, "Output Y") == "28×27"
    _shoot(web, "xcorr_drawn")
    web.assert_clean()


def test_clicking_the_output_picks_the_cell(server, web):
    _open(web, f"{server}/cross_correlation")
    page = web.page
    page.wait_for_selector('[data-testid="stPlotlyChart"] .nsewdrag', timeout=90_000)
    assert _metric(page, "Output Y[0, 0]") == "0"
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(1)  # input, output, step, demo
    picked = """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.includes('Output Y[2, 5]'))"""
    for tries_left in (2, 1, 0):  # a chart drawn again just then (a busy machine) takes no click
        web.wait_charts()
        chart.scroll_into_view_if_needed()
        plot = chart.locator(".nsewdrag").first  # the plotting area of the 6×7 output
        box = plot.bounding_box()
        # The cell in row 2, column 5 (value −1) is at the centre of its 1/7 × 1/6 of the area.
        page.mouse.click(box["x"] + box["width"] * 5.5 / 7, box["y"] + box["height"] * 2.5 / 6)
        try:
            page.wait_for_function(picked, timeout=20_000 if tries_left else 60_000)
            break
        except PlaywrightTimeout:
            if not tries_left:
                raise
    web.wait_idle()
    assert _metric(page, "Output Y[2, 5]") == "-1"
    assert _metric(page, "Sum of the products") == "-1"
    _shoot(web, "xcorr_clicked")
    # Play: the fragment's timer walks on from the clicked cell in the book's loop order.
    page.get_by_text("Play (step through every output cell)").click()
    page.wait_for_function(
        r"""() => [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some(m => /Output Y\[3, [0-6]\]/.test(m.innerText))""",
        timeout=60_000,
    )
    page.get_by_text("Play (step through every output cell)").click()
    web.wait_idle()
    web.assert_clean()


def test_padding_page_examples_and_invalid(server, web):
    _open(web, f"{server}/padding_stride")
    page = web.page
    _choose(page, "Load one of the book's examples", re.sub(r"\s+", " ", "kernel (3, 5), "
            "padding (0, 1), stride (3, 4) → 2×2"))  # fmt: skip
    web.wait_idle()
    assert _metric(page, "Formula gives") == "2×2"
    page.wait_for_selector('[data-testid="stPlotlyChart"] .nsewdrag', timeout=90_000)
    assert _metric(page, "torch: nn.Conv2d(X).shape[2:]") == "[2, 2]"
    _shoot(web, "padding_example")
    web.assert_clean()
