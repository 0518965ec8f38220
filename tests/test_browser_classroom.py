"""A class in Chromium: the training form survives a reload, a browser keeps its identity
across reloads (its run stays its own, with Stop), and another browser opening the same run
by link may watch it but not stop it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PageWatch

pytestmark = pytest.mark.browser
RUN = re.compile(r"· ([0-9a-f]{10}) ·")


def open_training(web: PageWatch, url: str) -> None:
    web.goto(f"{url}/training")


def shown_run(web: PageWatch) -> str:
    web.page.get_by_text(RUN).first.wait_for(timeout=60_000)
    return RUN.search(web.page.get_by_text(RUN).first.inner_text()).group(1)


def test_form_identity_and_ownership_survive_reloads(own_server, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    web = PageWatch(ctx.new_page())
    p = web.page
    open_training(web, own_server)
    epochs = p.get_by_label("Epochs (num_epochs)")
    epochs.fill("150")
    epochs.press("Enter")
    web.wait_idle()
    p.get_by_test_id("stSelectbox").filter(has_text="Training examples").click()
    p.get_by_role("option", name="2,000", exact=True).click()
    web.wait_idle()
    p.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    p.get_by_role("option", name="LeNet-ReLU", exact=True).click()
    web.wait_idle()
    assert "train_epochs=150" in p.url and "train_preset=LeNet-ReLU" in p.url
    cookie = [c for c in ctx.cookies() if c["name"].startswith("cnnviz_id_")]  # the store's
    assert cookie, "the identity cookie was not written"

    p.reload()  # the form comes back as it was set (read once the page shows the form)
    web.wait_idle()
    expect(p.get_by_label("Epochs (num_epochs)")).to_have_value("150", timeout=30_000)
    expect(p.locator(".st-key-train_subset input")).to_have_value("2,000")
    expect(p.locator(".st-key-train_preset input")).to_have_value("LeNet-ReLU")

    p.get_by_role("button", name="Start training").click()
    run_id = shown_run(web)
    p.locator(".st-key-train_stop button").wait_for()
    p.reload()  # the same person after a reload: still their run, still their Stop
    web.wait_idle()
    assert shown_run(web) == run_id
    p.locator(".st-key-train_stop button").wait_for()
    same = [c["value"] for c in ctx.cookies() if c["name"] == cookie[0]["name"]]
    assert same == [cookie[0]["value"]]
    web.screenshot("classroom_owner")

    # Another student opens the run's link: they may watch, not stop or delete.
    other_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = PageWatch(other_ctx.new_page())
    other.goto(f"{own_server}/training?run={run_id}")
    assert shown_run(other) == run_id
    other.page.get_by_text("only its owner or the teacher").wait_for()
    assert other.page.locator(".st-key-train_stop").count() == 0
    assert other.page.get_by_role("button", name="Delete this run").count() == 0
    other.screenshot("classroom_other_student")
    other.assert_clean()
    other_ctx.close()

    p.locator(".st-key-train_stop button").click()
    p.get_by_text("stopped").first.wait_for(timeout=30_000)
    web.assert_clean()
    ctx.close()
