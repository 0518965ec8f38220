"""Chapter 8's ablations in Chromium: each group launched from the lab at its quick size draws
a point for every variant in the live headline chart; its live runs are then stopped."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cnnviz import ablation as A

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CH8 = ("alexnet", "nin", "googlenet", "lenet_bn", "densenet")

# The names of the headline chart's traces that have drawn at least one marker (d3 binds each
# trace's calcdata, whose first item holds the trace).
DRAWN_JS = """() => [...document.querySelectorAll('.st-key-abl_overlay .scatterlayer .trace')]
    .filter(t => t.querySelectorAll('.points path').length > 0)
    .map(t => t.__data__ && t.__data__[0] && t.__data__[0].trace.name)"""


@pytest.mark.parametrize("key", CH8)
def test_chapter8_group_starts_and_draws_curves(server, web, key):
    group = A.GROUPS[key]
    names = [v.name for v in group.variants]
    page = web.page
    page.goto(f"{server}/ablation?lang=en")
    web.wait_idle(timeout=180_000)  # the first page of a fresh server imports torch
    web.pick("abl_group", group.title)
    web.wait_idle()
    page.get_by_text("Quick look (seconds)").click()
    web.wait_idle()
    assert page.locator(".st-key-abl_seeds input").input_value() == "1"
    page.get_by_role("button", name=re.compile(f"Run all {len(names)} variants$")).click()
    # The fragment polls the store every second: every variant's first epoch is a marker.
    page.wait_for_function(
        f"names => {{ const drawn = ({DRAWN_JS})(); return names.every(n => drawn.includes(n)); }}",
        arg=names,
        timeout=300_000,
        polling=250,
    )
    if key == CH8[0]:
        web.screenshot(f"ablation_{key}")
    assert f"group={key}" in page.url and "runs=" in page.url
    # Stop what still trains (a group of two-epoch runs); the button goes once nothing is live.
    stop = page.get_by_role("button", name="Stop the live runs")
    if stop.count():
        try:
            stop.click(timeout=5_000)
        except PlaywrightTimeout:  # the last run ended just then and the button went with it
            pass
    stop.wait_for(state="detached", timeout=60_000)
    body = page.inner_text("body")
    assert body.count("finished") + body.count("stopped") >= len(names), body
    web.assert_clean()
