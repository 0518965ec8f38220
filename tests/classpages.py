"""What the class pages' tests share. AppTest: a page opened as a user (a teacher unlocked
with a token of :data:`conftest.CLASS_SECRET`), in a language, with values in its address; the
text it shows and its controls; the follower's lesson page; the class experiments, and a class
with one student seated and an experiment; a row written past the store's checks. Chromium:
the teacher unlocking and opening a class, a student joining it."""

from __future__ import annotations

import sqlite3

from cnnviz import class_experiment as X
from cnnviz.classes import Classes, Seat
from cnnviz.classroom import COOKIE, User
from cnnviz.runs.service import RunService
from cnnviz_testing.classboard import TEACH
from conftest import CLASS_SECRET, PageWatch, app_test
from ui.identity import TOKEN

# The sidebar (the teacher's "Bring everyone here", a seated student's switch and poll), a
# lesson's widgets bound to the address (as Pooling's), then what app.py does after a page.
FOLLOW_PAGE = """
import streamlit as st
from ui.common import sidebar_ui
from ui.follow import lead
sidebar_ui()
st.slider("Kernel size", 1, 7, 3, key="pool_kernel_size", bind="query-params")
st.radio("Mode", ("max", "avg"), key="pool_mode", bind="query-params")
lead()
"""


def page_at(store, user: User | None, page: str = "board.py", lang: str | None = None,
            **params):  # fmt: skip
    """An AppTest of ``page`` (a file of app_pages/) as ``user`` (None: a browser nobody has
    identified yet), not run yet."""
    at = app_test(page)
    if user is not None:
        at.session_state["cnnviz_user"] = user
        if user.is_teacher:
            at.session_state[TOKEN] = store.issue_teacher_token(user.id, CLASS_SECRET, 3600)
    if lang is not None:
        at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    return at


def page_as(store, user: User | None, page: str = "board.py", lang: str | None = None,
            **params):  # fmt: skip
    """:func:`page_at`, run."""
    return page_at(store, user, page, lang, **params).run()


def shown(at) -> str:
    """The page's text: its markdown, captions and messages."""
    parts = [m.value for m in (*at.markdown, *at.caption)]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


def widget_keys(at, kinds=("button", "selectbox", "radio", "download_button", "toggle")) -> set:
    """The keys of the page's widgets of ``kinds``."""
    return {w.key for kind in kinds for w in at.get(kind) if getattr(w, "key", None)}


def experiments(store) -> X.ClassExperiments:
    """The class experiments over ``store`` as a page reaches them, without a run manager (a
    run started through it is queued for the pages' manager)."""
    return X.ClassExperiments(RunService(None, store=store))


def seated_experiment(store, **setup) -> tuple[Seat, X.ClassExperiments]:
    """A class open with one student seated (Ann, from 10.0.0.2) and an experiment over the
    learning rates 0.1 and 0.9 (``setup``: more of it, e.g. ``handout``): (her seat, the
    class experiments)."""
    classes = Classes(store)
    session = classes.open_class(TEACH)
    seat = classes.join("student0000000001", session.code, "Ann", "10.0.0.2")
    cx = experiments(store)
    cx.create(TEACH, session.class_id, "LeNet", "lr", "0.1, 0.9", **setup)
    return seat, cx


def write_past_checks(store, statement: str, *args) -> None:
    """A row written past every check of the store, as another program or a damaged file
    might."""
    db = sqlite3.connect(store.path)
    db.execute("PRAGMA ignore_check_constraints=ON")
    db.execute(statement, args)
    db.commit()
    db.close()


TEACHER_COOKIE_JS = f"/{COOKIE}_[0-9a-f]+_t=[^;]/.test(document.cookie)"  # ui.identity.cookie_names


def wait_teacher_cookie(page) -> None:
    """Wait until the browser holds the teacher cookie an unlock writes (in its rerun, which a
    loaded server may start seconds after the click): the next page opened reads it."""
    page.wait_for_function(f"() => {TEACHER_COOKIE_JS}", timeout=90_000)


def unlock_teacher(page, field, button, tries: int = 3) -> None:
    """Type the server's secret into ``field``, press ``button`` (Unlock) and wait for the
    teacher cookie. A rerun arriving just then (the one the role's choice asked for, late on a
    loaded server) can draw the field anew, empty, or take the press: the secret is typed
    again where it is missing and Unlock pressed again (unlocking twice is harmless)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    field.wait_for(timeout=60_000)
    for attempt in range(1, tries + 1):
        if field.count() and field.input_value() != CLASS_SECRET:
            field.fill(CLASS_SECRET)
        if button.count():
            button.click(timeout=60_000)
        if attempt == tries:
            wait_teacher_cookie(page)
            return
        try:
            page.wait_for_function(f"() => {TEACHER_COOKIE_JS}", timeout=30_000)
            return
        except PlaywrightTimeout:
            continue


def unlock_and_open(teacher: PageWatch, url: str) -> str:
    """In Chromium: the teacher unlocks with the server's secret on the Class page and opens a
    class; returns its code, as the page shows it."""
    teacher.goto(f"{url}/classroom")
    t = teacher.page
    t.get_by_text("Teacher", exact=True).click()
    unlock_teacher(t, t.get_by_label("Teacher secret"), t.get_by_role("button", name="Unlock"))
    t.get_by_role("button", name="Open a class").click(timeout=60_000)
    code = t.get_by_test_id("stMetricValue")
    code.wait_for(timeout=30_000)
    return code.inner_text().strip()


def join(student: PageWatch, url: str, code: str, name: str, by_link: bool = True) -> None:
    """In Chromium: a student joins the class under ``name``, from the join link (the code
    filled in) or (``by_link`` False) by typing the code on the Class page."""
    student.goto(f"{url}/classroom?join={code}" if by_link else f"{url}/classroom")
    s = student.page
    if not by_link:
        s.get_by_role("textbox", name="Class code").fill(code)
    s.get_by_role("textbox", name="Your name (the teacher sees it)").fill(name)
    s.get_by_role("button", name="Join").click()
    s.get_by_text("You are in the class as").wait_for(timeout=30_000)
