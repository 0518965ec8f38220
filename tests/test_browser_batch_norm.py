"""The batch-normalization page in Chromium: Start trains live, the statistics chart fills with
points while it runs, and the page finishes with both loss curves and no error."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

POINTS = """() => {
  const trace = document.querySelector('.st-key-bn_stats_chart .scatterlayer .trace');
  return trace ? trace.querySelectorAll('path.point').length : 0;
}"""
LOSS_TRACES = """() => document.querySelectorAll(
  '.st-key-bn_loss_chart .scatterlayer .trace').length"""
RECORD = """() => {
  window.__bnFrames = [];
  const points = POINTS_FN;
  const sample = () => {
    const stop = document.querySelector('.st-key-bn_stop button');
    const frame = {points: points(), stop: !!stop && !stop.disabled};
    const last = window.__bnFrames[window.__bnFrames.length - 1];
    if (!last || last.points !== frame.points || last.stop !== frame.stop) {
      window.__bnFrames.push(frame);
    }
  };
  new MutationObserver(sample).observe(document.body, {subtree: true, childList: true,
                                                       attributes: true});
}""".replace("POINTS_FN", POINTS)
MAIN_TEXT = "document.querySelector('[data-testid=\"stMain\"]').innerText"


def test_the_live_demo_runs_and_its_chart_shows_points(server, web):
    web.page.set_viewport_size({"width": 1400, "height": 2400})  # the app scrolls inside
    web.goto(f"{server}/batch_norm?bn_steps=150")
    page = web.page
    page.wait_for_selector("h1:has-text('Batch normalization')", timeout=60_000)
    web.wait_idle()
    assert page.evaluate(POINTS) == 0
    assert "Press Start to train" in page.evaluate(MAIN_TEXT)
    web.screenshot("batch_norm_before")

    page.evaluate(RECORD)
    page.locator(".st-key-bn_start").get_by_role("button").click()
    page.wait_for_function(f"({POINTS})() >= 2", timeout=90_000)

    page.wait_for_function(f"({MAIN_TEXT}).includes('Step 150 of 150')", timeout=180_000)
    frames = page.evaluate("window.__bnFrames")
    partial = [f for f in frames if 0 < f["points"] < 150]
    assert len({f["points"] for f in partial}) >= 2, frames  # the chart grew while it ran
    assert any(f["stop"] for f in partial), frames  # and Stop could be pressed meanwhile
    page.wait_for_function(f"!({MAIN_TEXT}).includes('running…')", timeout=60_000)
    web.wait_idle()
    expect(page.locator(".st-key-bn_start").get_by_role("button")).to_be_enabled(timeout=30_000)
    assert page.evaluate(POINTS) == 150
    assert page.evaluate(LOSS_TRACES) == 2  # with and without batch norm
    text = page.evaluate(MAIN_TEXT)
    assert "after step 150" in text and "max |difference|" in text
    web.screenshot("batch_norm_done")
    web.assert_clean()


def test_korean_page_runs_its_demo(server, web):
    web.page.set_viewport_size({"width": 1400, "height": 2400})
    web.goto(f"{server}/batch_norm?lang=ko&bn_steps=20")
    page = web.page
    page.wait_for_selector("h1:has-text('배치 정규화')", timeout=60_000)
    web.wait_idle()
    page.locator(".st-key-bn_layer").get_by_text("bn2: conv2 다음").click()
    web.wait_idle()
    page.locator(".st-key-bn_start").get_by_role("button").click()
    page.wait_for_function(f"({MAIN_TEXT}).includes('스텝 20 / 20')", timeout=120_000)
    page.wait_for_function(f"!({MAIN_TEXT}).includes('실행 중…')", timeout=60_000)
    web.wait_idle()
    assert page.evaluate(POINTS) == 20
    text = page.evaluate(MAIN_TEXT)
    assert "bn2, 채널별" in text and "최대 |차이|" in text, text[-1500:]
    assert "**" not in text  # every bold renders (Korean particles after ** can break it)
    web.screenshot("batch_norm_ko")
    web.assert_clean()
