"""A class prepared as a teacher does it, in Chromium: the store holds a CLI run (no owner) and a
student's run. The Training page opens cleanly for that student, for a newcomer and for the
teacher (pandas 3 read the ownerless run's owner as NaN, and the page crashed for everyone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cnnviz import classroom as C
from cnnviz.runs import RunStore
from conftest import PageWatch, start_server, tiny_config
from ui.identity import cookie_names

pytestmark = pytest.mark.browser
SECRET = "mixed-store-secret"
OWNER, TEACHER = "0" * 15 + "a", "0" * 15 + "t"
EPOCH = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.0, "val_acc": 0.5,
         "examples_per_s": 100.0, "seconds": 1.0}  # fmt: skip


@pytest.fixture
def mixed_server(tmp_path):
    """A server over a store with a CLI run and a student's run: (url, store)."""
    home = tmp_path / "home"
    store = RunStore(home)
    cli = store.create(tiny_config(), name="teacher's CLI run", status="running")
    store.add_epoch(cli, EPOCH)
    store.set_status(cli, "finished")
    mine = store.create(tiny_config(), name="ann's run", status="running", user=OWNER)
    store.add_epoch(mine, EPOCH)
    store.set_status(mine, "finished")
    token = store.issue_teacher_token(TEACHER, SECRET, 3600)  # the teacher unlocked earlier
    key = store.secret_key()
    store.close()
    env = {"CNNVIZ_HOME": str(home), "CNNVIZ_THREADS": "1", "CNNVIZ_TEACHER_SECRET": SECRET}
    _, url, server = start_server(env, tmp_path / "server.log")
    yield url, key, {"cli": cli, "mine": mine, "token": token}
    server.stop()


@pytest.mark.parametrize("who", ["owner", "newcomer", "teacher"])
def test_the_training_page_opens_for_everyone_in_a_mixed_store(browser, mixed_server, who):
    url, key, ids = mixed_server
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    host = url.split("//", 1)[1].split(":")[0]
    uid = {"owner": OWNER, "teacher": TEACHER}.get(who)
    id_cookie, teacher_cookie = cookie_names(key)  # the names this store's server reads
    if uid:
        ctx.add_cookies([{"name": id_cookie, "value": C.sign(uid, key), "domain": host,
                          "path": "/"}])  # fmt: skip
    if who == "teacher":
        ctx.add_cookies([{"name": teacher_cookie, "value": ids["token"], "domain": host,
                          "path": "/"}])  # fmt: skip
    web = PageWatch(ctx.new_page())
    web.goto(f"{url}/training")
    p = web.page
    p.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    web.assert_clean()
    picker = p.locator("[class*=st-key-train_show] [data-testid=stSelectbox]").first
    shown = p.locator("[class*=st-key-train_show] input").first.input_value()
    for _ in range(5):  # a rerun arriving just then can close the list: open it again
        picker.click()
        try:
            p.get_by_role("option").first.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            web.wait_idle()
    options = " ".join(p.get_by_role("option").all_inner_texts())
    p.keyboard.press("Escape")
    web.wait_idle()
    assert ids["cli"] in options  # the class's run: everyone sees it
    if who == "owner":
        assert ids["mine"] in shown  # their own run first
    if who == "newcomer":  # another student's run stays hidden
        assert ids["mine"] not in options and ids["cli"] in shown
    else:
        assert ids["mine"] in options
    web.screenshot(f"mixed_store_{who}")
    web.assert_clean()
    ctx.close()
