"""A class session in Chromium: the teacher unlocks and opens a class on the Class page; a
student opens the ``?join=`` link (the code filled in), types a name and joins; the teacher's
roster shows the seat without a reload; the projector view shows the code, the link and its QR
code; the student's browser, its cookie cleared, cannot take the seat back while it was just
seen."""

from __future__ import annotations

import re

import pytest
from classpages import unlock_and_open
from playwright.sync_api import expect
from test_browser_a11y import axe_findings

from cnnviz.classes import Classes
from cnnviz.runs import RunStore
from conftest import PageWatch

pytestmark = pytest.mark.browser
NAME = "Ann <b>x</b> **y**"


def test_a_student_joins_by_the_link_and_the_roster_shows_them(class_server, browser):
    url, home = class_server
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    teacher, student, projector = (PageWatch(ctx.new_page()) for ctx in contexts)
    try:
        code = unlock_and_open(teacher, url)
        t = teacher.page
        assert re.fullmatch(r"[A-Z2-9]{6}", code), code
        assert Classes(RunStore(home)).current().code == code
        link = t.get_by_test_id("stCode").first.inner_text().strip()
        assert link == f"{url}/classroom?join={code}", link
        t.get_by_text("No student has joined yet.").wait_for()

        student.goto(link)  # the link from the teacher's page
        s = student.page
        assert axe_findings(s) == []
        code_input = s.get_by_role("textbox", name="Class code")
        expect(code_input).to_have_value(code, timeout=30_000)  # filled in from the link
        s.get_by_role("textbox", name="Your name (the teacher sees it)").fill(NAME)
        s.get_by_role("button", name="Join").click()
        s.get_by_text("You are in the class as").wait_for(timeout=30_000)
        seated = s.get_by_test_id("stAlertContentSuccess").inner_text()
        assert NAME in seated  # as typed: no bold, no HTML
        bold = s.locator("[data-testid='stMain'] b, [data-testid='stMain'] strong")
        assert not {"x", "y"} & set(bold.all_inner_texts())  # <b>x</b> and **y** stay text
        assert "join=" not in s.url
        s.get_by_text("The roster and the class controls are the teacher's").wait_for()
        assert s.get_by_test_id("stDataFrame").count() == 0
        student.assert_clean()

        # the teacher's roster shows the seat without a reload (its fragment refreshes)
        t.get_by_text("1 seat(s)").wait_for(timeout=30_000)
        roster = t.get_by_test_id("stDataFrame")
        roster.wait_for()
        t.wait_for_function(
            "name => [...document.querySelectorAll('[data-testid=stDataFrame] td')]"
            ".some(td => td.innerText.includes(name))",
            arg="Ann <b>x</b>",
            timeout=30_000,
        )
        t.wait_for_function(  # the page the student is on (noted by every page view)
            "() => [...document.querySelectorAll('[data-testid=stDataFrame] td')]"
            ".some(td => td.innerText.trim() === 'Class')",
            timeout=30_000,
        )
        teacher.screenshot("class_roster")
        assert axe_findings(t) == []
        teacher.assert_clean()

        # the projector view: the code large, the link and its QR code, pseudonyms
        projector.goto(f"{url}/classroom?view=projector")
        p = projector.page
        p.get_by_test_id("class-code").wait_for(timeout=30_000)
        assert p.get_by_test_id("class-code").inner_text().strip() == code
        qr = p.locator(".st-key-class_qr img")
        qr.wait_for(timeout=30_000)
        p.wait_for_function(
            "() => { const i = document.querySelector('.st-key-class_qr img');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=30_000,
        )
        assert qr.count() == 1
        box = qr.bounding_box()
        assert box["width"] >= 250 and box["height"] >= 250
        p.get_by_text("1 student(s) joined").wait_for()
        main = p.get_by_test_id("stMain").inner_text()
        assert "Student 1" in main and "Ann <b>" not in main  # a pseudonym, names off
        projector.screenshot("class_projector")
        assert axe_findings(p) == []
        projector.assert_clean()

        # the student's browser clears its cookies: it is a new identity, asked to join; the
        # seat's browser was just seen, so its name is busy, and no seat is made
        contexts[1].clear_cookies()
        s.reload()
        student.wait_idle()
        s.get_by_role("textbox", name="Class code").fill(code)
        s.get_by_role("textbox", name="Your name (the teacher sees it)").fill(NAME)
        s.get_by_role("button", name="Join").click()
        s.get_by_text("is in use in another browser").wait_for(timeout=30_000)
        assert len(Classes(RunStore(home)).seats()) == 1
    finally:
        for ctx in contexts:
            ctx.close()
