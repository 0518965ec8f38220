"""Who is using this browser, as the pages see it (:mod:`cnnviz.classroom`).

The identity is a random id in a cookie signed with the run store's key: it survives reloads
and page switches, and a shared link carries none. The first visit makes one and the sidebar
writes the cookie (a line of script, on this server's own origin). The teacher role is
unlocked in the sidebar with the server's secret and kept for that identity until the secret
changes or the teacher locks it again.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import streamlit as st

from cnnviz import classroom as C
from cnnviz.runs import RunStore, StoreError, default_home
from cnnviz.runs.service import RunAccessError, RunService
from ui import state
from ui.i18n import message, texts

log = logging.getLogger("cnnviz")
COOKIE_MAX_AGE_S = 365 * 86_400
TEXT = texts("identity")


@st.cache_resource(show_spinner=False)
def _store(home: str) -> tuple[RunStore, bytes]:
    store = RunStore(Path(home))
    return store, store.secret_key()


def store_and_key() -> tuple[RunStore, bytes] | None:
    try:
        return _store(str(default_home()))
    except StoreError as exc:  # the pages that need the store say so themselves
        log.warning("identity: %s", exc)
        return None


def configured_secret() -> str | None:
    """The teacher secret: ``$CNNVIZ_TEACHER_SECRET`` or ``[cnnviz] teacher_secret`` in
    ``.streamlit/secrets.toml`` (never a URL)."""
    try:
        section = dict(st.secrets.get("cnnviz", {}))
    except Exception:  # noqa: BLE001 - no secrets file (Streamlit raises its own error): none
        section = {}
    return C.teacher_secret(section)


def _fingerprint() -> str | None:
    secret = configured_secret()
    return C.secret_fingerprint(secret) if secret else None


def current_user() -> C.User:
    """This browser's user (made on the first visit, then read from its signed cookie)."""
    user = state.USER.get()
    if user is not None:
        return user
    got = store_and_key()
    if got is None:
        user = C.User(C.new_user_id())  # no store: an identity for this session only
    else:
        store, key = got
        try:
            cookie = st.context.cookies.get(C.COOKIE)
        except Exception:  # noqa: BLE001 - no browser request behind this run (bare mode)
            cookie = None
        uid = C.verify(cookie, key)
        if uid is None:
            uid = C.new_user_id()
            state.SET_COOKIE.set(C.sign(uid, key))
        user = C.User(uid, store.user_role(uid, _fingerprint()))
    state.USER.set(user)
    return user


def cookie_ui() -> None:
    """Write the identity cookie in the browser, once per new identity."""
    value = state.SET_COOKIE.pop()
    if value:
        st.html(
            f"<script>document.cookie = '{C.COOKIE}={value}; path=/; "
            f"max-age={COOKIE_MAX_AGE_S}; SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )


def _unlock() -> None:
    secret = configured_secret()
    given = st.session_state.get("teacher_secret_input", "")
    st.session_state["teacher_secret_input"] = ""
    user = current_user()
    got = store_and_key()
    if got is None or not C.check_secret(given, secret):
        time.sleep(0.5)  # a guess costs time
        state.TEACHER_MESSAGE.set(TEXT["wrong"])
        return
    got[0].set_user_role(user.id, C.TEACHER, C.secret_fingerprint(secret))
    state.USER.set(C.User(user.id, C.TEACHER))
    state.TEACHER_MESSAGE.set(None)


def still_teacher(user: C.User) -> bool:
    """Whether the store still gives ``user`` the teacher role (read again before every
    privileged action: a Lock in another browser holds at once)."""
    got = store_and_key()
    if got is None:
        return False
    return got[0].user_role(user.id, _fingerprint()) == C.TEACHER


def _lock() -> None:
    user = current_user()
    if (got := store_and_key()) is not None:
        got[0].set_user_role(user.id, C.STUDENT)
    state.USER.set(C.User(user.id, C.STUDENT))


def _class_settings(store: RunStore) -> RunService:
    return RunService(None, role_check=still_teacher, store=store)


def _set_share(store: RunStore) -> None:
    on = bool(st.session_state["teacher_share_links"])
    try:
        _class_settings(store).set_share_links(current_user(), on)
    except RunAccessError as exc:  # locked in another browser meanwhile
        state.USER.set(C.User(current_user().id, C.STUDENT))
        state.TEACHER_MESSAGE.set(message(exc))


def teacher_ui() -> None:
    """The sidebar's teacher box: unlock with the secret, or (unlocked) the class settings."""
    user = current_user()
    with st.expander(TEXT["teacher"], icon=":material/school:", expanded=False):
        if user.is_teacher:
            st.caption(TEXT["teacher_mode"])
            if (got := store_and_key()) is not None:
                store = got[0]
                st.session_state["teacher_share_links"] = _class_settings(store).share_links()
                st.toggle(
                    TEXT["share_links"], key="teacher_share_links",
                    on_change=_set_share, args=(store,),
                )  # fmt: skip
            st.button(TEXT["lock"], key="teacher_lock", on_click=_lock)
            return
        if configured_secret() is None:
            st.caption(TEXT["no_secret"])
            return
        st.text_input(TEXT["secret"], type="password", key="teacher_secret_input")
        st.button(TEXT["unlock"], key="teacher_unlock", on_click=_unlock)
        if message := state.TEACHER_MESSAGE.get():
            st.error(message)
