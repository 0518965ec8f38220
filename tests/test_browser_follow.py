"""Following the teacher in Chromium: one teacher and three students, each a browser context
of its own. The teacher unlocks with the server's secret and opens a class; the students join
by its code; two switch "Follow the teacher" on. The teacher changes Pooling's kernel size and
the followers' pages show it; one follower switches off and gets their own setting back, and
keeps it while the teacher moves on; "Bring everyone here" brings the third student along."""

from __future__ import annotations

import re

import pytest
from classpages import join, unlock_and_open

from cnnviz.classes import Classes
from cnnviz.runs import RunStore
from conftest import PageWatch

pytestmark = pytest.mark.browser
KERNEL = re.compile(r"Y = nn\.(Max|Avg)Pool2d\((\d)")  # the lesson's code line


def sidebar_toggle(web: PageWatch, key: str):
    return web.page.locator(f".st-key-{key} input[type=checkbox]")


def shown_kernel(web: PageWatch) -> str:
    """The kernel size the page's code line shows (``Y = nn.MaxPool2d(3, …)``)."""
    text = web.page.get_by_text(KERNEL).first.inner_text()
    return KERNEL.search(text).group(2)


def wait_kernel(web: PageWatch, k: int) -> None:
    web.page.get_by_text(re.compile(rf"Y = nn\.(Max|Avg)Pool2d\({k}\b")).first.wait_for(
        timeout=30_000
    )


def set_kernel(web: PageWatch, k: int) -> None:
    slider = web.page.get_by_role("slider", name="kernel_size")
    now = int(slider.input_value())
    slider.focus()
    for _ in range(abs(k - now)):
        slider.press("ArrowRight" if k > now else "ArrowLeft")
    wait_kernel(web, k)
    web.wait_idle()


def test_followers_track_the_teachers_kernel_size(class_server, browser):
    url, home = class_server
    contexts, pages = [], []
    for _ in range(4):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(ctx)
        pages.append(PageWatch(ctx.new_page()))
    teacher, ann, bob, cy = pages
    try:
        # the teacher unlocks with the server's secret (sidebar) and opens a class
        code = unlock_and_open(teacher, url)
        teacher.page.get_by_text("Class opened").wait_for(timeout=30_000)
        assert code == Classes(RunStore(home)).current().code  # what the projector shows
        # the students join by typing the code; the switch is then in their sidebar
        for name, web in zip(("Ann", "Bob", "Cy"), pages[1:], strict=True):
            join(web, url, code, name, by_link=False)
            web.goto(f"{url}/pooling")
            sidebar_toggle(web, "follow_switch").wait_for(state="attached", timeout=30_000)
            assert not sidebar_toggle(web, "follow_switch").is_checked()
        teacher.goto(f"{url}/pooling")
        set_kernel(bob, 2)  # Bob's own setting, before he follows
        set_kernel(cy, 4)  # Cy never switches on
        teacher.page.get_by_role("button", name="Bring everyone here").wait_for()
        for web in (ann, bob):
            web.page.get_by_text("Follow the teacher", exact=True).click()
            web.page.get_by_text("You follow the teacher").wait_for(timeout=30_000)
            web.wait_idle()

        set_kernel(teacher, 5)
        for web in (ann, bob):
            wait_kernel(web, 5)  # the followers' pages show the teacher's kernel size
            web.page.wait_for_function(
                "location.search.includes('pool_kernel_size=5')", timeout=30_000
            )
        assert shown_kernel(cy) == "4"

        # Bob explores on his own: switching off brings back his own kernel size
        bob.page.get_by_text("Follow the teacher", exact=True).click()
        wait_kernel(bob, 2)
        bob.wait_idle()
        set_kernel(teacher, 6)
        wait_kernel(ann, 6)
        ann.wait_idle()
        bob.wait_idle()
        assert shown_kernel(bob) == "2" and shown_kernel(cy) == "4"
        assert "pool_kernel_size=2" in bob.page.url
        teacher.screenshot("follow_teacher")
        ann.screenshot("follow_student")

        # "Bring everyone here": Bob and Cy follow again, to the teacher's page and settings
        teacher.page.get_by_role("button", name="Bring everyone here").click()
        teacher.page.get_by_text("Every student follows you now").wait_for(timeout=30_000)
        for web in (bob, cy):
            wait_kernel(web, 6)
            web.page.get_by_text("You follow the teacher").wait_for(timeout=30_000)
        cy.page.get_by_text("Follow the teacher", exact=True).click()  # Cy's own setting comes back
        wait_kernel(cy, 4)
        for web in pages:
            web.wait_idle()
            web.assert_clean()
    finally:
        for ctx in contexts:
            ctx.close()
