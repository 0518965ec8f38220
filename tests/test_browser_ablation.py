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
