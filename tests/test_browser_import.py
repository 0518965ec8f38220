"""Importing a run in Chromium: a bad file gets a reason, a run file becomes the run shown, with
its curves and its first layer through every epoch."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def upload(web, name: str, data: bytes) -> None:
    box = web.page.get_by_test_id("stExpander").filter(has_text="Import a run")
    box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def test_import_a_run_file(own_server, web, trained_run):
    _, run_id, data = trained_run
    p = web.page
    web.goto(f"{own_server}/training")
    p.get_by_text("No runs yet").first.wait_for()
    p.get_by_text("Import a run").click()

    upload(web, "notes.safetensors", b"hello")
    p.get_by_text("“notes.safetensors” is not a safetensors file").wait_for(timeout=60_000)
    web.assert_clean()

    upload(web, f"{run_id}.safetensors", data)
    p.get_by_text("Imported class demo (3 of 3 epochs, finished)").wait_for(timeout=120_000)
    web.wait_idle()
    assert f"run={run_id}" in p.url
    p.get_by_text(re.compile("Epochs done: 3 of 3")).wait_for(timeout=60_000)
    curves = p.get_by_test_id("stPlotlyChart").first
    curves.locator(".scatterlayer path.point").first.wait_for(timeout=60_000)
    assert curves.locator(".scatterlayer path.point").count() == 4 * 3  # 4 curves × 3 epochs
    # every epoch's first layer came along: the slider scrubs 0..3, init beside epoch 3
    kernels = p.get_by_test_id("stPlotlyChart").nth(1)
    kernels.scroll_into_view_if_needed()
    assert "after epoch 3" in kernels.inner_text() and "epoch 0 (init)" in kernels.inner_text()
    assert p.get_by_test_id("stSlider").filter(has_text="After epoch").count() == 1
    table = p.get_by_test_id("stDataFrame").first
    assert table.count() == 1
    web.screenshot("training_imported")
    web.assert_clean()
