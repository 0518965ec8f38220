"""Who is using this browser, as the pages see it (:mod:`cnnviz.classroom`).

The identity is a random id in a cookie signed with the run store's key: it survives reloads
and page switches, and a shared link carries none. It is not a login: whoever holds the cookie
is that student. The cookie's name is tied to the store, so two cnnviz servers on one host
(another port, another store) never replace each other's. The first visit makes one (new
identities are limited per client address) and the sidebar writes the cookie (a line of
script, on this server's own origin).

The teacher role is a separate token, unlocked in the sidebar with the server's secret: short
lived (``TEACHER_TTL_S``), kept as a hash in the store, and ended by Lock in every browser
and session that holds it. The role is read again from the store before every privileged
action and on every run of the page, so a Lock elsewhere holds at the next click.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

import streamlit as st

from cnnviz import classroom as C
from cnnviz.config import setting
from cnnviz.runs import RunStore, StoreError, default_home
from cnnviz.runs.service import RunAccessError, RunService
from ui import state
from ui.i18n import message, texts

log = logging.getLogger("cnnviz")
COOKIE_MAX_AGE_S = 365 * 86_400
TEACHER_TTL_S = 8 * 3600  # a school day
TOKEN = "cnnviz_teacher_token"  # session state: this session's teacher token
ENV_TRUSTED_PROXY = "CNNVIZ_TRUSTED_PROXY"  # addresses whose X-Forwarded-For is believed
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


@st.cache_resource(show_spinner=False)
def _limiters(home: str) -> tuple[C.SecretGuesses, C.NewIdentities]:
    """The secret's wrong guesses and the new identities, counted in the store: every session
    of every server process over it counts together (without a store: this process's)."""
    got = store_and_key()
    store = got[0] if got is not None else None
    return C.SecretGuesses(store=store), C.NewIdentities(store=store)


def _guesses() -> C.SecretGuesses:
    return _limiters(str(default_home()))[0]


def _new_identities() -> C.NewIdentities:
    return _limiters(str(default_home()))[1]


@st.cache_resource(show_spinner=False)
def _said_at_start(problem: str) -> bool:
    log.error("%s", problem)  # once per server and secret, in the server's log
    return True


def cookie_names(key: bytes) -> tuple[str, str]:
    """(identity cookie, teacher cookie): names tied to the store, from its key."""
    tag = hmac.new(key, b"cnnviz-cookie-name", hashlib.sha256).hexdigest()[:8]
    return f"{C.COOKIE}_{tag}", f"{C.COOKIE}_{tag}_t"


def configured_secret() -> str | None:
    """The teacher secret: ``$CNNVIZ_TEACHER_SECRET`` or ``[cnnviz] teacher_secret`` in
    ``.streamlit/secrets.toml`` (never a URL); None when none is set or it is too short (the
    server's log and the teacher box say so)."""
    secret = C.teacher_secret(_secrets_section())
    if (problem := C.secret_problem(secret)) is not None:
        _said_at_start(str(problem))
        return None
    return secret


def client_address() -> str:
    """The browser's address: the connection's, or behind a trusted proxy (the addresses in
    ``$CNNVIZ_TRUSTED_PROXY``, comma-separated) the last one its X-Forwarded-For adds."""
    try:
        remote = st.context.ip_address or "127.0.0.1"  # None: a local connection
    except Exception:  # noqa: BLE001 - no browser request behind this run (bare mode)
        return "local"
    listed = setting(ENV_TRUSTED_PROXY) or ""
    trusted = {a.strip() for a in listed.split(",") if a.strip()}
    if remote in trusted:
        try:
            forwarded = st.context.headers.get("X-Forwarded-For") or ""
        except Exception:  # noqa: BLE001
            forwarded = ""
        if hops := [h.strip() for h in forwarded.split(",") if h.strip()]:
            return hops[-1][:64]
    return remote


def _cookies() -> dict:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - no browser request behind this run (bare mode)
        return {}


def _teacher_valid(store: RunStore, user_id: str, token: str | None) -> bool:
    return store.teacher_token_valid(token, user_id, configured_secret())


def current_user() -> C.User:
    """This browser's user (made on the first visit, then read from its signed cookie), with
    the teacher role only while its token holds (checked on every run)."""
    user = state.USER.get()
    got = store_and_key()
    if user is not None:
        if user.is_teacher and not still_teacher(user):  # locked elsewhere, expired
            user = C.User(user.id, C.STUDENT, user.address)
            state.USER.set(user)
        return user
    if got is None:
        user = C.User(C.new_user_id())  # no store: an identity for this session only
    else:
        store, key = got
        id_cookie, teacher_cookie = cookie_names(key)
        cookies = _cookies()
        uid = C.verify(cookies.get(id_cookie), key)
        if uid is None:
            uid = _new_identities().identity(client_address())
            _set_cookie(id_cookie, C.sign(uid, key), COOKIE_MAX_AGE_S)
        token = cookies.get(teacher_cookie)
        role = C.STUDENT
        if token and _teacher_valid(store, uid, token):
            st.session_state[TOKEN] = token
            role = C.TEACHER
        user = C.User(uid, role, client_address())
    state.USER.set(user)
    return user


def _set_cookie(name: str, value: str, max_age: int) -> None:
    pending = dict(state.SET_COOKIE.get() or {})
    pending[name] = (value, max_age)
    state.SET_COOKIE.set(pending)


def cookie_ui() -> None:
    """Write the cookies this session made (a new identity, the teacher's token, its end)."""
    pending = state.SET_COOKIE.pop()
    if pending:
        lines = "".join(
            f"document.cookie = '{name}={value}; path=/; max-age={age}; SameSite=Strict';"
            for name, (value, age) in pending.items()
        )
        st.html(f"<script>{lines}</script>", unsafe_allow_javascript=True)


def still_teacher(user: C.User) -> bool:
    """Whether this session's teacher token still holds for ``user`` (read from the store
    before every privileged action: a Lock in another browser holds at once)."""
    got = store_and_key()
    if got is None:
        return False
    return _teacher_valid(got[0], user.id, st.session_state.get(TOKEN))


def teacher_check():
    """``role_check`` for a library object made in this page run (:mod:`cnnviz.runs.service`):
    whether the teacher token this session holds now still holds for a user, read from the
    store at each call. Bound to the token rather than to the session, so it also answers
    outside any page run (a download made when clicked has no session state to read), where
    a Lock in another browser then holds as well."""
    token = st.session_state.get(TOKEN)
    got = store_and_key() if token else None
    secret = configured_secret() if got is not None else None

    def check(user: C.User) -> bool:
        return got is not None and got[0].teacher_token_valid(token, user.id, secret)

    return check


def _unlock() -> None:
    secret = configured_secret()
    given = st.session_state.get("teacher_secret_input", "")
    st.session_state["teacher_secret_input"] = ""
    user = current_user()
    got = store_and_key()
    try:
        ok = got is not None and _guesses().check(given, secret, client_address())
    except C.LimitError as exc:
        state.TEACHER_MESSAGE.set(message(exc))
        return
    if not ok:
        state.TEACHER_MESSAGE.set(TEXT["wrong"])
        return
    store, key = got
    token = store.issue_teacher_token(user.id, secret, TEACHER_TTL_S)
    st.session_state[TOKEN] = token
    _set_cookie(cookie_names(key)[1], token, TEACHER_TTL_S)
    state.USER.set(C.User(user.id, C.TEACHER, user.address))
    state.TEACHER_MESSAGE.set(None)


def _lock() -> None:
    user = current_user()
    if (got := store_and_key()) is not None:
        got[0].revoke_teacher_tokens(user.id)  # every browser and session of this teacher
        _set_cookie(cookie_names(got[1])[1], "", 0)
    st.session_state.pop(TOKEN, None)
    state.USER.set(C.User(user.id, C.STUDENT, user.address))


def _class_settings(store: RunStore) -> RunService:
    return RunService(None, role_check=still_teacher, store=store)


def _set_share(store: RunStore) -> None:
    on = bool(st.session_state["teacher_share_links"])
    try:
        _class_settings(store).set_share_links(current_user(), on)
    except RunAccessError as exc:  # locked in another browser meanwhile
        user = current_user()
        state.USER.set(C.User(user.id, C.STUDENT, user.address))
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
            problem = C.secret_problem(C.teacher_secret(_secrets_section()))
            st.caption(message(problem) if problem else TEXT["no_secret"])
            return
        st.text_input(TEXT["secret"], type="password", key="teacher_secret_input")
        st.button(TEXT["unlock"], key="teacher_unlock", on_click=_unlock)
        if msg := state.TEACHER_MESSAGE.get():
            st.error(msg)


def _secrets_section() -> dict:
    try:
        return dict(st.secrets.get("cnnviz", {}))
    except Exception:  # noqa: BLE001 - no secrets file (Streamlit raises its own error): none
        return {}
