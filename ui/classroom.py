"""The class session on the pages (:mod:`cnnviz.classes`).

- **The Class page, for the teacher**: open and close a class, its code and join link
  (``?join=CODE`` fills the code in), the projector switch for names, and the roster (every
  seat's name, page, runs with their live status and when it was last seen), refreshed by a
  bounded fragment.
- **For a student**: the join form (code and name) or, once seated, their seat. The roster and
  the controls are asked of the library, which refuses them, and the page says so.
- **The projector view** (``?view=projector``): the code and the link large, the link's QR code
  (drawn by segno), and who joined (pseudonyms unless the teacher turns names on).
- :func:`note_page`, called by the router on every run, notes a seated browser's page and
  time for the roster (throttled in :meth:`cnnviz.classes.Classes.touch`).

Names are the students' own text: Markdown sinks get them through ``md_escape``, tables as
plain cells.
"""

from __future__ import annotations

import functools
import io
import logging
import time
from collections import Counter
from urllib.parse import urlencode

import segno
import streamlit as st

from cnnviz.classes import HEARTBEAT_S, MAX_NAME, ClassError, Classes, ClassSession
from cnnviz.runs import StoreError, default_home
from cnnviz.runs.service import RunAccessError, RunService
from ui import i18n
from ui.common import duration, fragment, md_escape, page_header
from ui.i18n import message, texts
from ui.identity import client_address, current_user, still_teacher, store_and_key

log = logging.getLogger("cnnviz")
TEXT = texts("classroom")
NAV = texts("nav")
PAGE = "classroom"  # the page's address (app_pages/classroom.py)
ROSTER_S = 3  # the roster refreshes this often
PROJECTOR_S = 5  # the projector view looks for a new class or seat this often
MESSAGE = "class_message"  # (kind, text) the last action left for the next run
SEATED = "class_seated"  # whether this browser held a seat when last looked up
# a page's address → its title in the navigation (the roster's "page" column)
PAGE_TITLES = {
    "": "home", "home": "home", "why_conv": "why_conv", "cross_correlation": "xcorr",
    "learn_kernel": "learn_kernel", "padding_stride": "padding", "channels": "channels",
    "pooling": "pooling", "builder": "builder", "batch_norm": "batch_norm", "data": "data",
    "training": "training", "insight": "insight", "ablation": "ablation", "board": "board",
    "classroom": "classroom",
}  # fmt: skip


@st.cache_resource(show_spinner=False)
def _classes(home: str) -> Classes:
    store = store_and_key()[0]
    return Classes(store, role_check=still_teacher)  # one per server: touch's throttle shared


def classes() -> Classes | None:
    """The class session over this server's store (None: the store cannot be opened)."""
    if store_and_key() is None:
        return None
    return _classes(str(default_home()))


def note_page(page: str) -> None:
    """This browser's seat (if any) was seen on ``page`` now: the roster's page and last seen.
    Cheap on every run: at most one read and one write per browser every few seconds. A seated
    browser's open page also says so every :data:`cnnviz.classes.HEARTBEAT_S` without being
    used (a small fragment in the sidebar), so a student reading a page keeps their seat."""
    cl = classes()
    if cl is None:
        return
    user = current_user()
    if user.is_teacher:
        return
    page = page or "home"
    try:
        seated = cl.touch(user.id, page)
    except StoreError as exc:  # a busy store: the roster is a moment behind, nothing else
        log.warning("class: seat not noted (%s)", exc)
        return
    if seated is not None:
        st.session_state[SEATED] = seated
    if st.session_state.get(SEATED):
        with st.sidebar:
            _heartbeat(user.id, page)


@fragment(run_every=HEARTBEAT_S)
def _heartbeat(user_id: str, page: str) -> None:
    cl = classes()
    try:
        if cl is not None and cl.touch(user_id, page) is False:  # the seat is gone
            st.session_state[SEATED] = False
    except StoreError as exc:
        log.warning("class: seat not noted (%s)", exc)


def with_language(query: dict[str, str]) -> str:
    """``query`` as a query string, with ``lang=`` when the page is not in the default
    language: a link opened elsewhere (a student's phone, the projector's tab) then shows the
    page in the teacher's language, not the other browser's."""
    lang = i18n.current()
    if lang != i18n.DEFAULT:
        query = {**query, i18n.KEY: lang}
    return urlencode(query)


def join_link(code: str) -> str:
    """The join link for this server as the browser reaches it (behind a proxy too), in the
    teacher's language (``&lang=`` when it is not the default)."""
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser behind this run (AppTest)
        url = ""
    base = url.split("?")[0].split("#")[0].rstrip("/")
    if base.endswith("/" + PAGE):
        base = base[: -len(PAGE) - 1]
    return f"{base}/{PAGE}?{with_language({'join': code})}"


def qr_svg(link: str) -> str:
    """The link's QR code as an SVG document (segno; medium error correction, black on white
    with the quiet zone, readable on a dark theme too)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(
        out, kind="svg", scale=10, border=4, dark="#000", light="#fff", xmldecl=False,
        title=TEXT["proj_qr"], nl=False,
    )  # fmt: skip
    return out.getvalue().decode()


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def _show_message() -> None:
    if (said := st.session_state.pop(MESSAGE, None)) is not None:
        kind, text = said
        getattr(st, kind)(text)


def _act(action) -> None:
    """Run a teacher's action; a refusal (locked elsewhere, no class) becomes the message."""
    try:
        action()
    except (RunAccessError, ClassError, StoreError) as exc:  # a busy store: try again
        _say("error", md_escape(message(exc)))


def _open() -> None:
    def go():
        session = classes().open_class(current_user())
        _say("success", TEXT["opened"].format(code=session.code))

    _act(go)


def _close() -> None:
    def go():
        classes().close_class(current_user())
        _say("info", TEXT["closed"])

    _act(go)


def _show_names() -> None:
    on = bool(st.session_state.get("class_show_names"))
    _act(lambda: classes().set_show_names(current_user(), on))


def _page_title(page: str | None) -> str:
    if page is None:
        return "—"
    key = PAGE_TITLES.get(page)
    try:
        return NAV[key] if key else page
    except KeyError:
        return page


def _ago(t: float) -> str:
    seconds = max(0.0, time.time() - t)
    return TEXT["seen_now"] if seconds < 5 else TEXT["seen_ago"].format(t=duration(seconds))


def roster_rows(cl: Classes, user) -> list[dict]:
    """The roster as table rows (the library refuses a student: RunAccessError)."""
    seats = cl.roster(user)
    if not seats:
        return []
    runs = RunService(None, role_check=still_teacher, store=cl.store).list_runs(user)
    by_user: dict[str | None, list] = {}
    for run in runs:  # newest first
        by_user.setdefault(run.user, []).append(run)
    status = TEXT["status_plain"]
    rows = []
    for seat in seats:
        mine = by_user.get(seat.user_id, [])
        counts = Counter(r.status for r in mine)
        runs_text = " · ".join(
            f"{n} {status.get(s, s)}" for s, n in sorted(counts.items(), key=lambda x: str(x[0]))
        )
        latest = "—"
        if mine:
            r = mine[0]
            latest = TEXT["latest"].format(
                name=r.name, status=status.get(r.status, r.status), done=r.epochs_done,
                total=r.num_epochs,
            )  # fmt: skip
        rows.append({
            TEXT["col_seat"]: seat.number,
            TEXT["col_name"]: seat.name,
            TEXT["col_pseudonym"]: message(seat.pseudonym),
            TEXT["col_page"]: _page_title(seat.page),
            TEXT["col_runs"]: runs_text or TEXT["no_runs"],
            TEXT["col_latest"]: latest,
            TEXT["col_seen"]: _ago(seat.last_seen),
        })  # fmt: skip
    return rows


def _roster() -> None:
    cl = classes()
    try:
        rows = roster_rows(cl, current_user())
    except RunAccessError:
        st.info(TEXT["teacher_only"], icon=":material/lock:")
        return
    except StoreError as exc:  # busy: the next refresh tries again
        st.caption(md_escape(message(exc)))
        return
    st.subheader(TEXT["roster"])
    if not rows:
        st.caption(TEXT["roster_empty"])
        return
    st.caption(TEXT["roster_count"].format(n=len(rows), s=ROSTER_S))
    st.dataframe(rows, hide_index=True, width="stretch")


def teacher_panel(cl: Classes, session: ClassSession | None) -> None:
    if session is None:
        st.info(TEXT["none_open"], icon=":material/groups:")
        st.button(TEXT["open"], key="class_open", on_click=_open, type="primary")
        return
    link = join_link(session.code)
    left, right = st.columns([1, 2])
    left.metric(TEXT["code"], session.code)
    right.markdown(f"**{TEXT['link']}**")
    right.code(link, language=None)
    right.link_button(
        TEXT["projector"], f"{PAGE}?{with_language({'view': 'projector'})}", icon=":material/cast:"
    )
    st.session_state["class_show_names"] = session.show_names
    st.toggle(
        TEXT["show_names"], key="class_show_names", on_change=_show_names,
        help=TEXT["show_names_help"],
    )  # fmt: skip
    a, b = st.columns(2)
    a.button(TEXT["close"], key="class_close", on_click=_close, help=TEXT["close_help"])
    b.button(TEXT["open_new"], key="class_open_new", on_click=_open, help=TEXT["open_new_help"])


def _join(cl: Classes) -> None:
    user = current_user()
    code = st.session_state.get("class_join_code", "")
    name = st.session_state.get("class_join_name", "")
    key = st.session_state.get("class_join_key", "")
    try:
        seat = cl.join(user.id, code, name, client_address(), key)
    except (ClassError, StoreError) as exc:
        _say("error", md_escape(message(exc)))
        return
    if "join" in st.query_params:
        del st.query_params["join"]
    log.info("class %s: seat %d joined", seat.class_id, seat.number)


def join_form(cl: Classes, session: ClassSession, seat) -> None:
    asked = st.query_params.get("join")
    if seat is not None and "class_join_code" not in st.session_state:
        st.session_state["class_join_code"] = session.code
    elif asked and not st.session_state.get("class_join_code"):  # the join link's code
        st.session_state["class_join_code"] = asked[:16]
    if "class_join_name" not in st.session_state and seat is not None:
        st.session_state["class_join_name"] = seat.name
    with st.form("class_join_form", border=seat is None):
        st.text_input(TEXT["join_code"], key="class_join_code", max_chars=16)
        st.text_input(
            TEXT["join_name"], key="class_join_name", max_chars=MAX_NAME,
            help=TEXT["join_name_help"].format(most=MAX_NAME),
        )  # fmt: skip
        if seat is None:
            st.text_input(TEXT["join_key"], key="class_join_key", max_chars=16,
                          help=TEXT["join_key_help"])  # fmt: skip
        label = TEXT["rename"] if seat is not None else TEXT["join"]
        st.form_submit_button(label, on_click=_join, args=(cl,), type="primary")


def student_panel(cl: Classes, session: ClassSession | None) -> None:
    user = current_user()
    if session is None:
        st.info(TEXT["join_none"], icon=":material/groups:")
        return
    seat = cl.seat_of(user.id)
    if seat is None:
        st.subheader(TEXT["join_title"])
        join_form(cl, session, None)
        return
    st.success(TEXT["seated"].format(name=md_escape(seat.name), n=seat.number))
    st.caption(TEXT["seated_help"])
    if key := cl.seat_key(user):
        st.caption(TEXT["seat_key"].format(key=md_escape(key)))
    with st.expander(TEXT["rename"]):
        join_form(cl, session, seat)


def projector(cl: Classes) -> None:
    """The view for the projector: the code, the link and its QR code, large; who joined."""

    @fragment(run_every=PROJECTOR_S)
    @_said_when_unreadable
    def body() -> None:
        from ui.board import projector_ui  # the teacher's spotlight: the board or a seat's run
        from ui.runs import manager_or_message

        mgr = manager_or_message()
        try:
            if mgr is not None and projector_ui(mgr):
                return
        except StoreError as exc:  # the experiment cannot be read: the join code still shows
            log.warning("projector: %s", exc)
        session = cl.current()
        if session is None:
            st.title(TEXT["proj_none"])
            return
        st.title(TEXT["proj_title"])
        link = join_link(session.code)
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.caption(TEXT["proj_code"])
        left.html(  # the code's characters are letters and digits only (cnnviz.classes)
            f'<div data-testid="class-code" style="font-size:7rem;font-weight:700;'
            f'letter-spacing:0.12em;line-height:1.1">{session.code}</div>'
        )
        left.caption(TEXT["proj_link"])
        left.code(link, language=None)
        with right.container(key="class_qr"):
            st.image(qr_svg(link), caption=TEXT["proj_qr"], width=360, alt=TEXT["proj_qr_alt"])
        seats = cl.seats(session.class_id)
        st.subheader(TEXT["proj_seats"].format(n=len(seats)))
        names = [message(Classes.display_name(s, True, session.show_names)) for s in seats]
        if names:
            st.markdown(" · ".join(md_escape(n) for n in names))

    body()


def _said_when_unreadable(draw):
    """``draw`` with a store that cannot be read now (busy, damaged) said in a message instead
    of the error boundary; the next run (or the fragment's next refresh) tries again."""

    @functools.wraps(draw)
    def wrapped(*args, **kwargs) -> None:
        try:
            draw(*args, **kwargs)
        except StoreError as exc:
            log.warning("class page: %s", exc)
            st.error(TEXT["unreadable"].format(error=md_escape(message(exc))),
                     icon=":material/error:")  # fmt: skip

    return wrapped


@_said_when_unreadable
def class_page() -> None:
    cl = classes()
    if st.query_params.get("view") == "projector" and cl is not None:
        projector(cl)
        return
    page_header(TEXT["title"], TEXT["lesson"], TEXT["intro"])
    if cl is None:
        st.error(TEXT["no_store"])
        return
    _show_message()
    session = cl.current()
    if current_user().is_teacher:
        teacher_panel(cl, session)
    else:
        student_panel(cl, session)
    if session is not None:
        # the teacher's roster refreshes itself; a student is refused once, and told so
        fragment(_roster, run_every=ROSTER_S)() if current_user().is_teacher else _roster()
