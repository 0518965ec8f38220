"""The why-conv, channels and pooling pages in real Chromium: whole-page screenshots, an RGB
upload split into channels, and a widget change seen in the browser."""

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

TALL = {"width": 1400, "height": 4200}


def _open(web, url: str) -> None:
    web.page.set_default_timeout(90_000)  # the 2-core CI box can be busy
    web.goto(url)


def _main_text(web) -> str:
    return web.page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("path", ["why_conv", "channels", "pooling"])
def test_whole_page_screenshot(server, web, path):
    web.page.set_viewport_size(TALL)
    _open(web, f"{server}/{path}")
    web.page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    web.wait_charts()
    assert web.page.locator(".js-plotly-plot").count() >= 2
    web.screenshot(f"lessons_{path}")
    web.assert_clean()


def test_channels_rgb_upload(server, web, tmp_path):
    arr = np.zeros((60, 90, 3), dtype=np.uint8)
    arr[:, :30, 0] = 255  # red band, green band, blue band
    arr[:, 30:60, 1] = 255
    arr[:, 60:, 2] = 255
    path = tmp_path / "rgb.png"
    Image.fromarray(arr).save(path)
    web.page.set_viewport_size(TALL)
    _open(web, f"{server}/channels")
    web.wait_idle()
    web.pick("chan_source", "Upload")
    web.wait_idle()
    web.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    web.page.wait_for_selector("text=rgb.png", timeout=60_000)
    web.wait_charts()
    text = _main_text(web)
    assert "(3, 60, 90)" in text
    assert "58×88" in text  # 3×3 kernels on 60×90
    web.screenshot("lessons_channels_upload")
    web.assert_clean()


def test_pooling_padding_error_in_browser(server, web):
    _open(web, f"{server}/pooling")
    slider = web.page.get_by_role("slider", name="padding")
    slider.focus()
    slider.press("ArrowRight")  # padding 1 → 2 with kernel_size 3: torch refuses
    web.wait_idle()
    assert "kernel_size / 2" in _main_text(web)
    web.assert_clean()


def test_a_prepared_link_opens_the_lesson_set_up_and_a_reload_keeps_it(server, web):
    page = web.page
    _open(web, f"{server}/pooling?pool_mode=avg&pool_kernel_size=4&pool_padding=0")
    page.get_by_text("Y = nn.AvgPool2d(4, stride=2)(X)").wait_for(timeout=60_000)
    web.wait_idle()
    assert "1×1" in _main_text(web)  # arange(16) as 4×4, one 4×4 window
    slider = page.get_by_role("slider", name="padding")
    assert slider.input_value() == "0"
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")  # padding 0 → 2: the URL follows
    web.wait_idle()
    page.wait_for_function("location.search.includes('pool_padding=2')", timeout=30_000)
    assert "pool_mode=avg" in page.url and "pool_kernel_size=4" in page.url
    page.reload()  # a new session: the lesson comes back from the URL
    web.wait_idle()
    page.get_by_text("Y = nn.AvgPool2d(4, stride=2, padding=2)(X)").wait_for(timeout=60_000)
    web.wait_idle()
    assert page.get_by_role("slider", name="padding").input_value() == "2"
    assert "3×3" in _main_text(web)
    web.assert_clean()
