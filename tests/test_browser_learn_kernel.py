"""The Learn-a-kernel page in Chromium: Start streams points into the loss chart; a change of
target draws each changed chart once."""

import re

import pytest
from playwright.sync_api import expect
from test_browser_charts import counting_draws, draws_after_pick

pytestmark = pytest.mark.browser

POINTS = """() => {
  const trace = document.querySelector('.st-key-learn_loss_chart .scatterlayer .trace');
  return trace ? trace.querySelectorAll('path.point').length : 0;
}"""

MAIN_TEXT = "document.querySelector('[data-testid=\"stMain\"]').innerText"


def _open(web, server) -> None:
    web.page.set_viewport_size({"width": 1400, "height": 2400})  # the app scrolls inside
    web.goto(f"{server}/learn_kernel")
    web.page.wait_for_selector("h1:has-text('Learn a kernel')", timeout=60_000)
    web.wait_idle()


def _epoch(page) -> int:
    text = page.locator('[data-testid="stMain"]').inner_text()
    m = re.search(r"Epoch (\d+) of", text)
    return int(m.group(1)) if m else 0


def test_start_streams_the_loss_curve(server, web):
    _open(web, server)
    page = web.page
    assert _epoch(page) == 0 and page.evaluate(POINTS) == 0
    web.screenshot("learn_kernel_before")

    page.locator(".st-key-learn_start").get_by_role(
        "button"
    ).click()  # 10 epochs at 2 steps/s (auto pace)
    page.wait_for_function(f"({POINTS})() >= 2", timeout=60_000)
    first_points, first_epoch = page.evaluate(POINTS), _epoch(page)
    assert first_epoch >= 1
    web.screenshot("learn_kernel_running")
    page.wait_for_function(f"({POINTS})() > {first_points}", timeout=60_000)
    assert page.evaluate(POINTS) > first_points

    page.get_by_text("Finished: the learned kernel").wait_for(timeout=60_000)
    web.wait_idle()
    assert _epoch(page) == 10 and page.evaluate(POINTS) == 10
    assert "3.635" in page.locator('[data-testid="stMain"]').inner_text()
    web.screenshot("learn_kernel_done")
    web.assert_clean()


def test_stop_halts_a_long_run_and_divergence_shows(server, web):
    _open(web, server)
    page = web.page
    epochs = page.locator(".st-key-learn_epochs input")
    epochs.fill("5000")
    epochs.press("Enter")
    web.wait_idle()
    page.locator(".st-key-learn_pace").get_by_text("10 steps/s").click()
    web.wait_idle()
    page.locator(".st-key-learn_start").get_by_role("button").click()
    page.wait_for_function(f"({POINTS})() >= 3", timeout=60_000)
    page.locator(".st-key-learn_stop").get_by_role("button").click()
    page.wait_for_function(f"!({MAIN_TEXT}).includes('running…')", timeout=60_000)
    web.wait_idle()
    stopped = _epoch(page)
    # Stopped, as the page shows it: Start is offered again and Stop is not (the live panel
    # stops polling), and the count stays where it was.
    expect(page.locator(".st-key-learn_start").get_by_role("button")).to_be_enabled(timeout=30_000)
    expect(page.locator(".st-key-learn_stop").get_by_role("button")).to_be_disabled()
    web.wait_idle()
    assert 3 <= _epoch(page) == stopped < 5000
    assert "running" not in page.locator('[data-testid="stMain"]').inner_text()

    lr = page.locator(".st-key-learn_lr input")
    lr.fill("0.5")
    lr.press("Enter")
    web.wait_idle()
    page.locator(".st-key-learn_pace").get_by_text("full speed").click()
    web.wait_idle()
    page.locator(".st-key-learn_start").get_by_role("button").click()
    page.get_by_text("The run diverged at step").wait_for(timeout=60_000)
    web.wait_idle()
    assert "Finished" not in page.locator('[data-testid="stMain"]').inner_text()
    web.screenshot("learn_kernel_diverged")

    page.locator(".st-key-learn_target").click()
    page.get_by_role("option", name="Sobel x").click()
    web.wait_idle()
    page.get_by_text("not identifiable").wait_for(timeout=60_000)
    web.screenshot("learn_kernel_sobel_on_stripes")
    web.assert_clean()


def test_a_target_change_draws_each_kernel_chart_once(server, browser):
    """The kernels carry fixed margins (no automatic ones to push out and draw again), and the
    spectrum's leave room for its labels: Plotly draws each changed chart once per change."""
    with counting_draws(browser, f"{server}/learn_kernel", "learn_target_fig") as web:
        for target in ("Sobel x", "Edge [1, -1] (d2l)", "Laplacian"):
            counts = draws_after_pick(web, "learn_target", target, "learn_target_fig")
            kernels = {"learn_kernel_now", "learn_target_fig"} | (
                set() if target.startswith("Edge") else {"learn_reach"}
            )
            assert {k: counts.get(k) for k in kernels} == dict.fromkeys(kernels, 1), counts
            # the spectrum changes with the kernel's size: drawn as it mounts, and once more when
            # Streamlit sets its column's fractional width (341.609 → 341.609375 px at this
            # viewport); it was three or four times with automatic margins
            assert 1 <= counts.get("learn_spectrum", 0) <= 2, counts
            assert set(counts) <= kernels | {"learn_spectrum"}, counts  # the image: not redrawn
