"""The Class page (AppTest, English and Korean): the teacher opens a class and sees its code
and join link; a student joins from the ``?join=`` link and sees their seat; the teacher's
roster shows the seat with its runs; a student is refused the roster and the controls; hostile
names render as text; the projector view shows the code, the QR code and pseudonyms until the
teacher turns names on."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl

import pytest
import segno
from classpages import page_as, shown

from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from conftest import assert_clean, tiny_config

pytestmark = pytest.mark.apptest
TEACHER_USER = User("t" * 16, TEACHER)
ANN = User("a" * 16)
WORDS = {
    "en": {"open": "Open a class", "name": "name", "teacher_only": "teacher's",
           "pseudonym": "Student 1", "running": "1 running", "join": "Join",
           "rename": "Change my name"},
    "ko": {"open": "수업 열기", "name": "이름", "teacher_only": "교사만",
           "pseudonym": "학생 1", "running": "1 실행 중", "join": "참여",
           "rename": "이름 바꾸기"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_teacher_opens_student_joins_roster_shows_the_seat(class_store, lang):
    words = WORDS[lang]
    teacher = page_as(class_store, TEACHER_USER, "classroom.py", lang)
    assert_clean(teacher)
    assert teacher.button(key="class_open").label == words["open"]
    teacher.button(key="class_open").click().run()
    assert_clean(teacher)
    session = Classes(class_store).current()
    assert session is not None
    assert teacher.metric[0].value == session.code
    # the link carries the teacher's language when it is not English, and so does the
    # projector's (each is opened in another browser or tab)
    in_lang = "" if lang == "en" else f"&lang={lang}"
    link = f"/classroom?join={session.code}{in_lang}"
    assert [c.value for c in teacher.code] == [link]
    (projector,) = teacher.get("link_button")
    assert projector.proto.url == f"classroom?view=projector{in_lang}"
    # a student opens the join link (the address it names, nothing else): the page is in the
    # teacher's language, the code is filled in; they type a name and join
    address = dict(parse_qsl(link.partition("?")[2]))
    student = page_as(class_store, ANN, "classroom.py", address.pop("lang", None), **address)
    assert_clean(student)
    assert student.button[0].label == words["join"]
    assert student.text_input(key="class_join_code").value == session.code
    assert "class_open" not in {b.key for b in student.button}
    student.text_input(key="class_join_name").input("Ann Lee")
    student.button[0].click().run()
    assert_clean(student)
    seat = Classes(class_store).seat_of(ANN.id)
    assert seat is not None and seat.name == "Ann Lee"
    assert "Ann Lee" in "\n".join(s.value for s in student.success)
    assert "join" not in student.query_params
    if lang != "en":  # the page stays in the teacher's language
        assert student.query_params["lang"] in (lang, [lang])
    assert student.button[0].label == WORDS[lang]["rename"]
    # the student is refused the roster (the library says no) and sees no table
    assert not student.dataframe
    assert words["teacher_only"] in "\n".join(i.value for i in student.info)
    # the teacher's roster: the seat, its pseudonym and its live run
    class_store.create(tiny_config(), name="ann's run", user=ANN.id, status="running")
    teacher.run()
    assert_clean(teacher)
    table = teacher.dataframe[0].value
    assert list(table[words["name"]]) == ["Ann Lee"]
    row = table.iloc[0].astype(str).tolist()
    assert words["pseudonym"] in row and any(words["running"] in c for c in row)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_wrong_code_is_refused_with_a_message(class_store, lang):
    page_as(class_store, TEACHER_USER, "classroom.py", lang).button(key="class_open").click().run()
    student = page_as(class_store, ANN, "classroom.py", lang, join="NOPE42")
    student.text_input(key="class_join_name").input("Ann")
    student.button[0].click().run()
    assert_clean(student)
    assert student.error and Classes(class_store).seat_of(ANN.id) is None
    if lang == "ko":
        assert "코드" in student.error[0].value


def test_a_student_cannot_open_or_close_a_class(class_store):
    student = page_as(class_store, ANN, "classroom.py", "en")
    assert_clean(student)
    assert {"class_open", "class_close", "class_open_new"}.isdisjoint(b.key for b in student.button)
    assert "No class is open" in shown(student)
    # a teacher whose role was locked elsewhere meanwhile: the click is refused by the library
    teacher = page_as(class_store, TEACHER_USER, "classroom.py", "en")
    class_store.revoke_teacher_tokens(TEACHER_USER.id)
    teacher.button(key="class_open").click().run()
    assert_clean(teacher)
    assert Classes(class_store).current() is None
    assert "Only the teacher" in "\n".join(e.value for e in teacher.error)


def test_hostile_names_show_as_typed(class_store):
    hostile = "**b** <img src=x> [l](y)"
    classes = Classes(class_store)
    session = classes.open_class(TEACHER_USER)
    classes.join(ANN.id, session.code, hostile, "10.0.0.1")
    classes.set_show_names(TEACHER_USER, True)
    student = page_as(class_store, ANN, "classroom.py", "en")
    assert_clean(student)
    seated = student.success[0].value
    assert "\\*\\*b\\*\\*" in seated and "<img" not in seated and "&lt;img" in seated
    teacher = page_as(class_store, TEACHER_USER, "classroom.py", "en")
    assert list(teacher.dataframe[0].value["name"]) == [hostile]  # a plain cell
    projector = page_as(class_store, None, "classroom.py", "en", view="projector")
    names = "\n".join(m.value for m in projector.markdown)
    assert "<img" not in names and "\\*\\*b\\*\\*" in names


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_projector_shows_code_qr_and_pseudonyms_until_names_are_on(class_store, lang):
    classes = Classes(class_store)
    session = classes.open_class(TEACHER_USER)
    classes.join(ANN.id, session.code, "Ann Lee", "10.0.0.1")
    projector = page_as(class_store, None, "classroom.py", lang, view="projector")
    assert_clean(projector)
    html = "\n".join(h.value for h in projector.get("html"))
    assert f">{session.code}</div>" in html
    link = f"/classroom?join={session.code}" + ("" if lang == "en" else f"&lang={lang}")
    (image,) = projector.get("image")
    url = image.proto.imgs[0].url
    assert url.startswith("data:image/svg+xml;base64,")
    shown_svg = base64.b64decode(url.split(",", 1)[1]).decode()
    svg = segno.make(link, error="m").svg_inline(scale=10, border=4)
    modules = svg.split('class="qrline"')[1].split("/>")[0]  # the code's dark modules
    assert modules in shown_svg and "<title>" in shown_svg
    names = "\n".join(m.value for m in projector.markdown)
    assert WORDS[lang]["pseudonym"] in names and "Ann Lee" not in names
    teacher = page_as(class_store, TEACHER_USER, "classroom.py", lang)
    teacher.toggle(key="class_show_names").set_value(True).run()
    assert_clean(teacher)
    assert classes.current().show_names
    projector.run()
    names = "\n".join(m.value for m in projector.markdown)
    assert "Ann Lee" in names and WORDS[lang]["pseudonym"] not in names


def test_closing_the_class_keeps_the_seat_and_the_run(class_store):
    classes = Classes(class_store)
    session = classes.open_class(TEACHER_USER)
    classes.join(ANN.id, session.code, "Ann", "10.0.0.1")
    run_id = class_store.create(tiny_config(), user=ANN.id, status="finished")
    teacher = page_as(class_store, TEACHER_USER, "classroom.py", "en")
    teacher.button(key="class_close").click().run()
    assert_clean(teacher)
    assert classes.current() is None
    assert [s.name for s in classes.seats(session.class_id)] == ["Ann"]
    assert class_store.get(run_id).user == ANN.id
    assert "class_open" in {b.key for b in teacher.button}


def test_the_router_notes_a_seated_browsers_page(class_store):
    from streamlit.testing.v1 import AppTest

    from conftest import REPO

    classes = Classes(class_store)
    session = classes.open_class(TEACHER_USER)
    classes.join(ANN.id, session.code, "Ann", "10.0.0.1")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["cnnviz_user"] = ANN
    at.run()
    assert_clean(at)
    assert classes.seat_of(ANN.id).page == "home"  # the default page's address is ""
    assert at.session_state["class_seated"] is True  # its open page keeps saying so
