"""The ablation lab in Chromium: one click launches a group and every variant's curve appears
(legend entries of the live chart); the page's URL then restores the comparison."""

import csv
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_launch_group_shows_every_variant(server, web):
    page = web.page
    page.goto(f"{server}/ablation")
    web.wait_idle(timeout=180_000)  # the first page of a fresh server imports torch
    page.get_by_text("Quick look (seconds)").click()
    web.wait_idle(timeout=120_000)
    page.get_by_role("button", name=re.compile("Run all 2 variants")).click()
    # The fragment polls the store every second: wait for both legend entries and the table.
    legend = page.locator('[data-testid="stPlotlyChart"] .legendtext')
    try:
        page.wait_for_function(
            """() => {
                const names = [...document.querySelectorAll('.legendtext')]
                    .map(e => e.textContent);
                const done = document.body.innerText.split('finished ·').length - 1;
                return names.includes('LeNet') && names.includes('LeNet-ReLU') && done >= 2;
            }""",
            timeout=240_000,
        )
    finally:
        web.screenshot("ablation_lenet")
    web.wait_idle(timeout=120_000)
    names = set(legend.all_text_contents())
    assert {"LeNet", "LeNet-ReLU"} <= names
    assert "runs=" in page.url and "group=lenet" in page.url
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length >= 4",
        timeout=120_000,
    )
    web.screenshot("ablation_lenet")
    web.assert_clean()
    # one confusion matrix per variant, drawn (a heatmap each), and the difference view
    for key in ("abl_cm_0", "abl_cm_1", "abl_difference"):
        page.locator(f".st-key-{key} .js-plotly-plot .heatmaplayer").wait_for(timeout=60_000)
    assert page.locator(".st-key-abl_cm_0 .heatmaplayer text").count() >= 100  # counts shown

    # The CSV is made when clicked (no static file racing the polls) and holds both variants.
    with page.expect_download() as download:
        page.get_by_role("button", name="Metrics (CSV)").click()
    assert download.value.suggested_filename == "ablation_metrics.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["variant"] for r in rows} == {"LeNet", "LeNet-ReLU"}
    assert all(0.0 <= float(r["val_acc"]) <= 1.0 for r in rows)
    web.assert_clean()

    # the shareable URL restores the comparison in a new tab
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    other.wait_for_function(
        "() => [...document.querySelectorAll('.legendtext')]"
        ".some(e => e.textContent === 'LeNet-ReLU')",
        timeout=60_000,
    )
    other.close()


# Plotly draws a trace's fill as a path.js-fill (a band: the filled lower edge of a mean's band);
# the chart is in the page, or while runs train in its live chart's frame (ui.live_chart)
BAND_JS = """() => {
    const box = document.querySelector('.st-key-abl_overlay');
    const frame = box && box.querySelector('iframe');
    const root = frame && frame.contentDocument ? frame.contentDocument : box;
    if (!root) return 0;
    return [...root.querySelectorAll('g.trace path.js-fill')]
        .filter(p => (p.getAttribute('d') || '').length > 10).length;
}"""


# Samples the page every 100 ms from the launch on: the number of variants whose seeds had all
# finished at the first moment a band was drawn (no gap between seeing the band and reading
# the status), or -1 until a band appears.
RECORD_JS = """() => {
    window.__firstBand = -1;
    const look = () => {
        if (window.__firstBand >= 0) return;
        if ((%s)() > 0) {
            window.__firstBand = document.body.innerText.split('%s').length - 1;
            return;
        }
        setTimeout(look, 100);
    };
    look();
}"""


def test_seeds_bands_and_verdict_in_both_languages(server, web):
    """A 4-seed quick LeNet group launched from the lab: the bands around the means appear
    while the seeds are still training, then the verdict sentence; the same page in Korean."""
    page = web.page
    page.goto(f"{server}/ablation?lang=en")
    web.wait_idle(timeout=180_000)
    page.get_by_text("Quick look (seconds)").click()
    web.wait_idle(timeout=120_000)
    seeds = page.locator(".st-key-abl_seeds input")
    seeds.fill("4")
    seeds.press("Tab")
    launch = page.get_by_role("button", name="Run all 2 variants × 4 seeds (8 runs)")
    launch.wait_for(timeout=60_000)
    assert "its 8 runs one after another" in page.inner_text("body")
    launch.click()
    # A band needs two seeds of a variant: it is drawn from the second seed's first epoch on,
    # while the later seeds still train (seed by seed: the last five of the eight runs).
    page.evaluate(RECORD_JS % (BAND_JS, "4/4 seeds finished"))
    page.wait_for_function("() => window.__firstBand >= 0", timeout=600_000)
    finished = page.evaluate("() => window.__firstBand")
    assert finished < 2, "the bands came only after every seed had finished"
    web.screenshot("ablation_seeds_live")
    verdict = page.locator(".st-key-abl_verdict")
    verdict.wait_for(timeout=900_000)
    page.wait_for_function(
        "() => document.body.innerText.split('4/4 seeds finished').length - 1 >= 2",
        timeout=300_000,
    )
    web.wait_charts(timeout=120_000)
    text = verdict.inner_text()
    assert "beyond seed noise" in text and "4 seeds)" in text, text
    assert page.evaluate(BAND_JS) == 2  # one band per variant in the headline chart
    body = page.inner_text("body")
    assert "paired t interval" in body and "What it does not claim" in body
    assert "seeds=4" in page.url and "runs=" in page.url
    web.screenshot("ablation_seeds_en")
    web.assert_clean()

    # the same comparison in Korean, from its address
    page.goto(page.url + "&lang=ko")
    web.wait_idle(timeout=120_000)
    verdict = page.locator(".st-key-abl_verdict")
    verdict.wait_for(timeout=120_000)
    text = verdict.inner_text()
    assert "시드 잡음" in text and "시드 4개" in text, text
    page.wait_for_function(f"() => ({BAND_JS})() === 2", timeout=60_000)
    assert "짝지은 t 구간" in page.inner_text("body")
    web.wait_charts(timeout=120_000)
    web.screenshot("ablation_seeds_ko")
    web.assert_clean()
