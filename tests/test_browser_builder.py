"""The architecture builder in real Chromium: switch presets, see the table, diagram and maps."""

import re
from pathlib import Path

import pytest

from cnnviz.models import PRESETS, to_code

pytestmark = pytest.mark.browser
DIAGRAM_TEXT = ".js-plotly-plot .scatterlayer .textpoint"
TALL = {"width": 1400, "height": 3400}  # Streamlit scrolls inside the app: a tall viewport


def _open_builder(web, server) -> None:
    """Through the router's sidebar, as a teacher would (the app's layout and navigation)."""
    web.goto(server)
    web.page.get_by_role("link", name=re.compile("Architecture builder")).click()
    web.wait_idle()
    web.page.wait_for_selector("h1:has-text('Architecture builder')", timeout=60_000)


def _main_text(web) -> str:
    return web.page.locator('[data-testid="stMain"]').inner_text()


def test_builder_switches_presets_and_draws(server, web):
    web.page.set_viewport_size(TALL)
    _open_builder(web, server)
    page = web.page
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    page.wait_for_selector(DIAGRAM_TEXT, timeout=60_000)
    assert "61,706" in _main_text(web)
    # the diagram names each box and writes its shape: (12 layers + the input) × 2 for LeNet
    assert page.locator(DIAGRAM_TEXT).count() == 26
    web.screenshot("builder_lenet")
    web.assert_clean()

    page.get_by_text("ResNet (8.6)").click()
    web.wait_idle()
    page.wait_for_function(
        "document.querySelector('[data-testid=\"stMain\"]').innerText.includes('11,178,378')",
        timeout=60_000,
    )
    assert page.locator(DIAGRAM_TEXT).count() == 14
    assert page.locator('[data-testid="stDataFrame"]').count() == 2  # arch editor + summary
    web.screenshot("builder_resnet18")
    web.assert_clean()

    page.get_by_text("VGG (8.2)").click()
    web.wait_idle()
    page.wait_for_function(
        "document.querySelector('[data-testid=\"stMain\"]').innerText.includes('128,806,154')",
        timeout=60_000,
    )
    web.screenshot("builder_vgg11")
    web.assert_clean()
    # The code download is made when clicked and is the model on screen.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download builder_model.py").click()
    assert Path(download.value.path()).read_text() == to_code(PRESETS["VGG-11"])
    web.assert_clean()


def test_builder_feature_maps(server, web):
    web.page.set_viewport_size({"width": 1400, "height": 5200})
    _open_builder(web, server)
    web.page.get_by_text("Compute feature maps").click()
    web.wait_idle()
    web.page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot').length >= 13", timeout=60_000
    )
    assert "Prediction:" in _main_text(web)
    web.screenshot("builder_feature_maps")
    web.assert_clean()
