"""A second student in Chromium, with opening runs by link turned off, tries to reach the first
student's run three ways, none of which shows it: the builder's trained-weights picker, a run
file that carries its id, and a comparison whose run ids are rewritten on the wire (and in the
address)."""

from __future__ import annotations

import re

import pytest

from cnnviz.classroom import User
from cnnviz.runs import RunStore
from cnnviz.runs.service import RunService
from conftest import PageWatch

pytestmark = pytest.mark.browser
RUN = re.compile(r"· ([0-9a-f]{10}) ·")
BOB = User("b" * 16)


def upload(web: PageWatch, name: str, data: bytes) -> None:
    box = web.page.get_by_test_id("stExpander").filter(has_text="Import a run")
    box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def open_maps(web: PageWatch, url: str) -> None:
    web.goto(f"{url}/builder")
    web.page.get_by_text("Compute feature maps").click()
    web.wait_idle()
    web.page.locator(".st-key-builder_weights").wait_for(timeout=60_000)


def test_a_second_student_never_sees_the_first_ones_run(own_server, browser, tmp_path, trained_run):
    _, bobs, data = trained_run
    store = RunStore(tmp_path / "home")  # the server's store
    assert RunService(None, store=store).import_run(BOB, data, "bob.safetensors") == (bobs, True)
    store.set_setting("share_links", "0")

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    web = PageWatch(ctx.new_page())
    p = web.page

    # 1. The builder's picker: Bob's finished LeNet is not offered to Ann.
    open_maps(web, own_server)
    p.get_by_text("No finished training run of exactly this network yet").wait_for()
    web.screenshot("isolation_builder")
    web.assert_clean()

    # 2. Ann uploads a file that carries Bob's run id: it becomes her own copy.
    web.goto(f"{own_server}/training")
    p.get_by_text("Import a run").click()
    upload(web, "bob.safetensors", data)
    p.get_by_text("Imported class demo (3 of 3 epochs, finished)").wait_for(timeout=120_000)
    web.wait_idle()
    p.get_by_text(RUN).first.wait_for(timeout=60_000)
    mine = RUN.search(p.get_by_text(RUN).first.inner_text()).group(1)
    assert mine != bobs and f"run={mine}" in p.url
    assert bobs not in p.content()
    assert store.owner(mine)[0] not in (None, BOB.id)  # Ann's
    assert store.owner(bobs) == (BOB.id, False)
    web.screenshot("isolation_import")
    web.assert_clean()
    # ... and the picker now offers her copy, only.
    open_maps(web, own_server)
    web.pick("builder_weights", "class demo (3 epochs")
    web.wait_idle()
    p.get_by_text(f"trained weights of run {mine}").wait_for(timeout=60_000)
    assert p.get_by_text("No finished training run of exactly this network yet").count() == 0

    # 3a. A comparison link naming Bob's run: said to be missing, nothing of it shown.
    web.goto(f"{own_server}/ablation?group=store&mode=classroom&runs={bobs},{mine}")
    p.get_by_text("Runs from the link that are not in this run store").wait_for(timeout=60_000)
    p.get_by_test_id("stPlotlyChart").first.wait_for(timeout=60_000)
    assert p.get_by_text(bobs).count() == 1  # only in the missing-runs warning
    web.assert_clean()

    # 3b. Ann picks her own run and presses Compare, while every message her browser sends
    # has her run's id rewritten to Bob's (same length: the protobuf stays valid).
    rewritten = []

    def rewrite(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if isinstance(message, bytes) and mine.encode() in message:
                rewritten.append(message)
                message = message.replace(mine.encode(), bobs.encode())
            server.send(message)

        ws.on_message(to_server)
        server.on_message(lambda message: ws.send(message))

    ctx2 = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx2.add_cookies(ctx.cookies())  # Ann again, in a browser whose socket is rewritten
    web2 = PageWatch(ctx2.new_page())
    web2.page.route_web_socket(re.compile(r".*/_stcore/stream"), rewrite)
    web2.goto(f"{own_server}/ablation")
    p2 = web2.page
    p2.get_by_text("Runs from the store").click()
    web2.wait_idle()
    p2.locator(".st-key-abl_store_runs [data-testid=stMultiSelect]").click()
    p2.get_by_role("option").filter(has_text=mine).first.click()
    p2.keyboard.press("Escape")
    web2.wait_idle()
    p2.get_by_role("button", name="Compare the selected runs").click()
    web2.wait_idle()
    assert rewritten, "no message carried Ann's run id: nothing was rewritten"
    # The server got Bob's id as the picker's value: not one it offered, so it is dropped,
    # and the comparison is empty.
    p2.get_by_text("Choose runs above and press").wait_for(timeout=60_000)
    web2.screenshot("isolation_compare")
    assert p2.get_by_test_id("stPlotlyChart").count() == 0  # no comparison: nothing of Bob's
    assert p2.get_by_text("class demo").count() == 0
    web2.assert_clean()
    ctx2.close()
    ctx.close()
    store.close()
