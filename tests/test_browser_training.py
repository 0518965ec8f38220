"""The training page in Chromium: a LeNet run streams into the chart and survives a page
switch and a reload (the page reconnects through the session, the URL and the store)."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from conftest import PageWatch

pytestmark = pytest.mark.browser

EPOCHS = 8
DONE = re.compile(r"Epochs done: (\d+) of (\d+)")
RUN = re.compile(r"· [0-9a-f]{10} ·")


def state(web: PageWatch) -> tuple[int, str, int]:
    """(epochs done, run id shown, plotted epoch markers) as the page shows them."""
    p = web.page
    text = p.get_by_text(DONE).first.inner_text()
    done = int(DONE.search(text).group(1))
    run = re.search(r"· ([0-9a-f]{10}) ·", p.get_by_text(RUN).first.inner_text())
    points = p.locator('[data-testid="stPlotlyChart"] .scatterlayer path.point').count()
    return done, run.group(1) if run else "", points


def wait_until(web: PageWatch, cond, timeout: float = 240.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            s = state(web)
            if cond(s):
                return s
        except Exception:  # noqa: BLE001 - the fragment is redrawing: look again
            pass
        web.page.wait_for_timeout(400)
    raise AssertionError(f"not reached; last state {state(web)}")


def test_run_streams_and_survives_switch_and_reload(own_server, web):
    p = web.page
    web.goto(f"{own_server}/training")
    web.assert_clean()
    epochs = p.get_by_label("Epochs (num_epochs)")
    epochs.fill(str(EPOCHS))
    epochs.press("Enter")
    web.wait_idle()
    p.get_by_test_id("stSelectbox").filter(has_text="Training examples").click()
    p.get_by_role("option", name="2,000", exact=True).click()
    web.wait_idle()
    p.get_by_role("button", name="Start training").click()

    first = wait_until(web, lambda s: s[0] >= 1 and s[1])
    run_id = first[1]
    web.screenshot("training_running")
    # The curve gains points (its markers follow the caption within a redraw).
    grown = wait_until(web, lambda s: s[2] > first[2] or s[0] == EPOCHS)

    # Away and back: the query parameter is dropped, the session remembers the run.
    p.get_by_test_id("stSidebarNavLink").filter(has_text="Fashion-MNIST data").click()
    web.wait_idle()
    p.get_by_test_id("stSidebarNavLink").filter(has_text="Training runs").click()
    back = wait_until(web, lambda s: s[1] != "")
    assert back[1] == run_id and back[0] >= grown[0]

    # A reload is a new session: the URL (and the store) bring the same run back.
    p.reload()
    web.wait_idle()
    again = wait_until(web, lambda s: s[1] != "")
    assert again[1] == run_id and again[0] >= back[0]

    end = wait_until(web, lambda s: s[0] == EPOCHS)
    assert end[1] == run_id
    p.get_by_text("finished").first.wait_for(timeout=30_000)
    web.wait_idle()
    web.screenshot("training_finished")
    chart = p.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(web.screenshot("training_finished").parent / "training_curves.png"))
    done, _, points = state(web)
    # Train/val loss and accuracy: one marker each per epoch.
    assert (done, points) == (EPOCHS, 4 * EPOCHS)
    assert f"run={run_id}" in p.url  # a reload or a shared link finds this run again
    assert p.get_by_test_id("stDataFrame").count() == 1
    # The first layer, scrubbed: the init beside the last epoch, kernels and feature maps drawn.
    kernels = p.get_by_test_id("stPlotlyChart").nth(1)
    kernels.scroll_into_view_if_needed()
    kernels.locator(".heatmaplayer").first.wait_for(timeout=30_000)
    assert kernels.locator(".heatmaplayer").count() == 2
    titles = kernels.inner_text()
    assert "epoch 0 (init)" in titles and f"after epoch {EPOCHS}" in titles
    assert p.get_by_test_id("stPlotlyChart").nth(2).locator(".heatmaplayer").count() == 2
    web.assert_clean()
    # Both downloads are made when clicked: one CSV row per epoch, and the weights file.
    with p.expect_download() as download:
        p.get_by_role("button", name="Metrics (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    with p.expect_download() as download:
        p.get_by_role("button", name="Weights (.safetensors)").click()
    assert download.value.suggested_filename == f"cnnviz-{run_id}.safetensors"
    header = Path(download.value.path()).read_bytes()[8:]
    assert header.startswith(b"{")  # safetensors: an 8-byte length, then a JSON header
    web.assert_clean()
    print(f"observed epochs: first {first[0]}, grown {grown[0]}, back {back[0]}, reload {again[0]}")

    # A second run: Start shows it, and the page stays on it (the browser's stale value of the
    # previous run's picker once flipped the page back to the first run and forth).
    epochs.fill("1")
    epochs.press("Enter")
    web.wait_idle()
    p.get_by_role("button", name="Start training").click()
    second = wait_until(web, lambda s: s[1] not in ("", run_id), timeout=60)[1]
    shown = set()
    for _ in range(25):
        try:
            shown.add(state(web)[1])
        except Exception:  # noqa: BLE001 - the fragment is redrawing: look again
            pass
        p.wait_for_timeout(120)
    assert shown == {second}, shown
    assert f"run={second}" in p.url
    # The picker still opens the first run.
    wait_until(web, lambda s: s[1] == second and s[0] == 1, timeout=120)
    web.wait_idle()
    web.pick(f"train_show_{second}", run_id)
    # (the caption and the title are redrawn one after the other: wait for both)
    wait_until(web, lambda s: s[1] == run_id and s[0] == EPOCHS, timeout=60)
    assert f"run={run_id}" in p.url
    web.assert_clean()
