"""The architecture builder in real Chromium with the chapter-8 families: GoogLeNet's Inception
blocks and DenseNet's dense blocks are drawn as their branches."""

import re

import pytest

pytestmark = pytest.mark.browser
DIAGRAM_TEXT = ".js-plotly-plot .scatterlayer .textpoint"
TALL = {"width": 1400, "height": 3400}


def _open_builder(web, server) -> None:
    web.goto(server)
    web.page.get_by_role("link", name=re.compile("Architecture builder")).click()
    web.wait_idle()
    web.page.wait_for_selector("h1:has-text('Architecture builder')", timeout=60_000)


def _wait_for(web, text: str) -> None:
    web.page.wait_for_function(
        "t => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(t)",
        arg=text, timeout=60_000,
    )  # fmt: skip


def _diagram_texts(web) -> list[str]:
    return web.page.locator(DIAGRAM_TEXT).evaluate_all("els => els.map(e => e.textContent)")


def test_inception_branches_and_dense_concatenations_are_drawn(server, web):
    web.page.set_viewport_size(TALL)
    _open_builder(web, server)
    page = web.page
    page.wait_for_selector(DIAGRAM_TEXT, timeout=60_000)

    page.get_by_text("GoogLeNet (8.4)").click()
    web.wait_idle()
    _wait_for(web, "5,977,530")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot .textpoint')]"
        ".some(e => e.textContent === '5×5 · 32')",
        timeout=60_000,
    )
    texts = _diagram_texts(web)
    branches = [t for t in texts if re.fullmatch(r"(1×1|3×3|5×5|pool) · \d+", t)]
    assert len(branches) == 4 * 9, texts  # four branches in each of nine Inception blocks
    assert texts.count("Inception") == 9
    web.screenshot("builder_googlenet")
    web.assert_clean()

    page.get_by_text("DenseNet (8.7)").click()
    web.wait_idle()
    _wait_for(web, "758,226")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot .textpoint')]"
        ".some(e => e.textContent === 'conv 4 · 32')",
        timeout=60_000,
    )
    texts = _diagram_texts(web)
    assert texts.count("input · 64") == 1 and texts.count("conv 1 · 32") == 4, texts
    web.screenshot("builder_densenet")
    web.assert_clean()
