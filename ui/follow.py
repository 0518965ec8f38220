"""Follow the teacher (:mod:`cnnviz.follow`), as the pages do it.

- **The teacher's pages** publish where the teacher is (:func:`lead`): after every full run
  (app.py) and every fragment run (``ui.common.fragment``: a lesson's sliders live in
  fragments). A location is the page and the values of every widget bound to its address (the
  ``bind=SHARE`` widgets) plus the choices ``keyed_choice`` keeps there: what a lesson link
  carries. It is compared with the one this session published last, so a teacher who does not
  move costs nothing; the store is written only when a class is open and the location changed.
  The Class page is never published: the teacher checking the roster moves nobody.
- **A seated student's sidebar** has the "Follow the teacher" switch. No page polls: each
  server process has one :class:`Watcher` that reads the teacher's ``(seq, recall)`` of each
  class every :data:`WATCH_S` seconds (one row per class) and, only when it changed, reruns
  the pages that must move (as Streamlit reruns a page when its source is saved). The page's
  run then moves it: another page by ``st.switch_page`` with the lesson's address, which seeds
  the bound widgets as a link would; on the same page, the settings that differ are set before
  any widget is drawn. When every setting the teacher changed lives in one fragment of the
  follower's page (a lesson's slider), only that fragment reruns: the watcher knows each
  page's fragments from its last full run, and the fragment's run sets the teacher's values
  before its widgets are drawn (:func:`run_fragment`); anything else that differs moves the
  whole page. A page run without a server runtime (AppTest) polls in a fragment instead.
  Drawings, uploads, edited kernel grids and runs are never part of a location: they
  stay the student's.
- **Switching off** brings back the location the student had when they switched on (kept in
  the store with their seat). **Bring everyone here** (the teacher's sidebar) turns following
  on for every seat; each seated page sees the recall and follows.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.query_params import parse_url_param
from streamlit.runtime.state.session_state_proxy import get_session_state

from cnnviz.classes import Classes
from cnnviz.follow import Follow, FollowAccessError, Location, Signal, lesson_key
from cnnviz.runs import StoreError
from ui import state
from ui.common import fragment
from ui.i18n import message, texts

log = logging.getLogger("cnnviz")
WATCH_S = 0.25  # each server process reads the teacher's seq this often, for all its pages
# A move's reruns in one process go out a few at a time, in turn (the first pages move first),
# not all at once: a hundred script threads started together share the core and the GIL and
# all end together, at the end. A rerun not seen to end within RERUN_WAIT_S no longer counts.
RERUNS_AT_ONCE = 3
RERUN_WAIT_S = 2.0
FLIGHT_CHECK_S = 0.002
# Once a move's reruns have ended, the watcher runs Python's full collection if none ran for
# this long: a class then waits ~10 s for the teacher's next move, and the collection (~0.1 s
# with a class open) does not stall a move's reruns, as Python's own would (see
# ui.common.FULL_COLLECTION_AFTER, which spaces those out).
COLLECT_AFTER_MOVE_S = 30.0
POLL_S = 0.5  # a page run without a server runtime (AppTest) polls this often instead
SWITCH = "follow_switch"  # the sidebar's switch
SEEN = "follow_seen"  # the Signal this session last acted on
PENDING = "follow_pending"  # (page hash, settings) to set at the next full run's start
GO = "follow_go"  # a location a callback asks the next full run to move to
LED = "follow_led"  # (class id, Location, when) this teacher session published last
NOT_LED = frozenset({"classroom"})  # the teacher's roster: checking it moves nobody
RECHECK_S = 5.0  # an unmoved teacher's page looks for a newly opened class this often
UNKNOWN = object()  # the signal a page acted on, when it did not say
NOTE = "follow_note"  # why the last switch or recall failed (shown once)
PAGE_KEYS = "follow_page_keys"  # (page hash, keys): the unbound settings of its last full run
MOVED = "follow_moved"  # {setting: (moved to, held before)} of the last move, until confirmed
FRAGMENTS = "follow_fragments"  # (page hash, {setting: fragment id}) of its last full run
TEXT = texts("follow")


def _remember_page_keys(ctx) -> None:
    """At the end of a full run: which widgets of this run keep their value in the address
    without Streamlit's binding (``keyed_choice``: the address holds a stable key, not the
    label), so a fragment run or a callback knows the page's settings too."""
    from ui import i18n

    ran = ctx.shared.widget_user_keys_this_run.snapshot()
    choices = getattr(i18n, "KEYED_CHOICES", set())
    keys = frozenset(k for k in ran if k in choices or k in st.query_params)
    if st.session_state.get(PAGE_KEYS) != (ctx.page_script_hash, keys):
        st.session_state[PAGE_KEYS] = (ctx.page_script_hash, keys)


def _fragment_id() -> str | None:
    from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

    return ThreadState.get().fragment_id


def run_fragment(body, args, kwargs):
    """A fragment's body (``ui.common.fragment``): in its own run, first the teacher's move the
    watcher sent to it; in a full run, note which settings it draws (the watcher then moves
    only this fragment when only those changed); after it, :func:`lead`."""
    ctx, fragment_id = get_script_run_ctx(), _fragment_id()
    own_run = ctx is not None and bool(ctx.fragment_ids_this_run)
    if own_run and fragment_id:
        page, known = st.session_state.get(FRAGMENTS) or (None, {})
        if page == ctx.page_script_hash:
            _keep_moves(frozenset(k for k, f in known.items() if f == fragment_id))
        _take_move(ctx, fragment_id)
    before = ctx.shared.widget_user_keys_this_run.snapshot() if ctx is not None else None
    out = body(*args, **kwargs)
    if ctx is not None and fragment_id and not own_run:
        drawn = ctx.shared.widget_user_keys_this_run.snapshot() - before
        page, known = st.session_state.get(FRAGMENTS) or (None, {})
        known = dict(known) if page == ctx.page_script_hash else {}
        known.update((key, fragment_id) for key in drawn if lesson_key(key))
        st.session_state[FRAGMENTS] = (ctx.page_script_hash, known)
    lead(after_fragment=True)  # a lesson's setting changed: the class follows
    if own_run:
        from ui.common import collect_young

        collect_young()
    return out


def _take_move(ctx, fragment_id: str) -> None:
    """Set the teacher's location the watcher sent to this fragment's run: its settings, before
    its widgets; when a setting outside it differs too, the whole page moves instead."""
    got = None
    for watcher in _watchers().values():
        got = watcher.take_move(ctx.session_id) or got
    if got is None:
        return
    signal, target = got
    ss = st.session_state
    if (seen := ss.get(SEEN)) is not None and seen.seq >= signal.seq:
        return  # moved there already (or further) by a full run
    page, known = ss.get(FRAGMENTS) or (None, {})
    if page != ctx.page_script_hash:  # (the watcher sent it for the teacher's page)
        return  # moved elsewhere meanwhile: the sidebar's poll moves it at its next full run
    ss[SEEN] = signal
    differ = {k: v for k, v in target.values.items() if lesson_key(k) and ss.get(k) != v}
    if all(known.get(k) == fragment_id for k in differ):
        _set(differ)
    else:
        ss[PENDING] = (ctx.page_script_hash, dict(target.values))
        st.rerun(scope="app")


def _tell_watcher(ctx) -> None:
    """At the end of a full run: the page and its fragments' settings, for the watcher of a
    seated page (nothing for a page no watcher holds)."""
    info = ctx.pages_manager.get_pages().get(ctx.page_script_hash) or {}
    page, known = st.session_state.get(FRAGMENTS) or (None, {})
    fragments = dict(known) if page == ctx.page_script_hash else {}
    for watcher in _watchers().values():
        watcher.note_page(ctx.session_id, info.get("url_pathname", "") or "", fragments)


def _store():
    from ui.identity import store_and_key

    got = store_and_key()
    return got[0] if got is not None else None


def _url_value(value: object) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [str(_url_value(v)) for v in value]
    return str(value)


def here() -> Location | None:
    """The page being shown and its lesson settings (None outside a page run)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    page_hash = ctx.page_script_hash
    info = ctx.pages_manager.get_pages().get(page_hash)
    if info is None:
        return None
    remembered = st.session_state.get(PAGE_KEYS)
    keys = set(remembered[1]) if remembered and remembered[0] == page_hash else set()
    with get_session_state().query_params() as qp:
        for key, binding in getattr(qp, "_bindings_by_param", {}).items():
            if getattr(binding, "script_hash", None) == page_hash:
                keys.add(key)
    ss = st.session_state
    values = {}
    for key in sorted(keys):
        if lesson_key(key) and key in ss:
            try:
                values[key] = Location("x", {key: ss[key]}).values[key]
            except ValueError:  # a value no link carries: not part of the location
                continue
    try:
        return Location(info.get("url_pathname", "") or "", values)
    except ValueError:
        return None


def _page_script(page: str) -> str | None:
    ctx = get_script_run_ctx()
    for info in ctx.pages_manager.get_pages().values():
        if (info.get("url_pathname", "") or "") == page:
            return info["script_path"]
    return None


def _go(target: Location, in_fragment: bool) -> None:
    """Move this page to ``target``: another page by ``st.switch_page`` with the lesson's
    address; on this page, its settings set before any widget of the next full run."""
    now = here()
    if now == target:
        return
    ctx = get_script_run_ctx()
    if now is None or now.page != target.page:
        script = _page_script(target.page)
        if script is None:  # a page this server does not have
            return
        params = {k: _url_value(v) for k, v in target.values.items()}
        if lang := st.query_params.get("lang"):
            params["lang"] = lang
        st.switch_page(script, query_params=params)
    if in_fragment:
        st.session_state[PENDING] = (ctx.page_script_hash, dict(target.values))
        st.rerun(scope="app")
    _set(target.values)


def _as_widget_takes(key: str, value: object) -> tuple[bool, object]:
    """``value`` as the widget bound to ``key`` takes it from a lesson link: (False, None)
    where it cannot hold it (a damaged or older location: another type, an unknown option);
    a number out of its range becomes its default, as Streamlit's reader of the address does.
    A value put straight into the session state would stop the page instead. A widget this
    session has not drawn yet (a page opened fresh) is not checked here: :func:`_set` seeds
    it through the address instead."""
    state = get_session_state()
    with state.query_params() as qp:
        binding = getattr(qp, "_bindings_by_param", {}).get(key)
    widgets = getattr(getattr(state, "_state", None), "_new_widget_state", None)
    meta = getattr(widgets, "widget_metadata", {}).get(getattr(binding, "widget_id", None))
    if meta is None:  # not a bound widget drawn in this session (a keyed choice)
        current = st.session_state.get(key)
        same = isinstance(value, list) == isinstance(current, list | tuple) and (
            isinstance(value, list) or type(value) is type(current)
        )  # a keyed choice falls back to its default on an unknown option of its type
        return (True, value) if same else (False, None)
    try:
        parsed = parse_url_param(_url_value(value), meta.value_type)
        options = meta.formatted_options
        if options is not None and isinstance(parsed, str) and parsed not in options:
            return False, None
        return True, meta.deserializer(parsed)
    except Exception:  # noqa: BLE001 - Streamlit's reader refuses it: the follower keeps theirs
        return False, None


def _seed(values: dict) -> None:
    """Settings of widgets this session has not drawn yet, put in the address as a lesson link
    would: each widget reads its own there when it is drawn (Streamlit's reader for a bound
    one, ``keyed_choice``'s for a keyed choice) and keeps its default for a value it cannot
    hold."""
    if not values:
        return
    urls = {key: _url_value(value) for key, value in values.items()}
    with get_session_state().query_params() as qp:
        initial = getattr(qp, "_initial_query_params", None)
        if isinstance(initial, dict):
            initial.update((k, u if isinstance(u, list) else [u]) for k, u in urls.items())
    for key, url in urls.items():
        st.query_params[key] = url


def _set(values: dict) -> None:
    ss = st.session_state
    fresh, moved = {}, {}
    for key, value in values.items():
        if not lesson_key(key) or ss.get(key) == value:
            continue
        if key not in ss:
            fresh[key] = value
            continue
        ok, taken = _as_widget_takes(key, value)
        if ok:
            moved[key] = (taken, ss[key])
            ss[key] = taken
        else:
            log.warning("follow: the teacher's %s=%.80r does not fit this page", key, value)
    if moved:
        ss[MOVED] = moved
    _seed(fresh)


def _keep_moves(keys: frozenset | None = None) -> None:
    """Before a run's widgets (of the fragment's ``keys`` in a fragment's run): a change the
    browser sent before the last move reached it carries the settings from before the move
    and would take the page back. A setting the move changed that holds its old value again
    gets the moved one back, once; one the browser confirmed, or the student set to another
    value, is left alone from then on."""
    ss = st.session_state
    moved = ss.get(MOVED)
    if not moved:
        return
    left = {}
    for key, (value, old) in moved.items():
        if keys is not None and key not in keys:
            left[key] = (value, old)
        elif key in ss and ss[key] == old and ss[key] != value:
            ss[key] = value
    if left:
        ss[MOVED] = left
    else:
        del ss[MOVED]


# -- the teacher ---------------------------------------------------------------------------------


def _class_id(store) -> str | None:
    try:
        session = Classes(store).current()
    except StoreError as exc:
        log.warning("follow: %s", exc)
        return None
    return session.class_id if session is not None else None


def lead(after_fragment: bool = False) -> None:
    """After a page's run (``after_fragment``: after a fragment's body, which counts only in
    a fragment's own run): the teacher's page publishes its location when a class is open and
    it changed since this session's last publication. A student's run only notes the page's
    settings (no store access); an unmoved teacher's, at most one class read per
    :data:`RECHECK_S` (a new class gets the location at once)."""
    ctx = get_script_run_ctx()
    if ctx is None or (after_fragment and not ctx.fragment_ids_this_run):
        return
    if not ctx.fragment_ids_this_run:
        _remember_page_keys(ctx)
        _tell_watcher(ctx)
    user = state.USER.get()
    if user is None or not user.is_teacher:
        return
    location = here()
    if location is None or location.page in NOT_LED:
        return
    led = st.session_state.get(LED)
    now = time.monotonic()
    if led is not None and led[1] == location and now - led[2] < RECHECK_S:
        return
    store = _store()
    if store is None:
        return
    class_id = _class_id(store)
    if class_id is None or (led is not None and led[:2] == (class_id, location)):
        st.session_state[LED] = (class_id, location, now)
        return
    from ui.identity import still_teacher

    try:
        Follow(store, role_check=still_teacher).publish(user, class_id, location)
    except (FollowAccessError, StoreError) as exc:
        log.info("follow: not published (%s)", exc)
        return
    st.session_state[LED] = (class_id, location, now)
    _watcher(store).wake()  # this process's followers move now, not at the next tick


def _bring_everyone(class_id: str) -> None:
    from ui.identity import current_user, still_teacher

    location = here()
    store = _store()
    if location is None or store is None:
        return
    try:
        Follow(store, role_check=still_teacher).bring_everyone(current_user(), class_id, location)
        st.session_state[LED] = (class_id, location, time.monotonic())
        st.session_state[NOTE] = ("success", TEXT["brought"])
    except (FollowAccessError, StoreError) as exc:
        st.session_state[NOTE] = ("error", message(exc))


def _teacher_ui(store) -> None:
    class_id = _class_id(store)
    if class_id is None:
        return
    st.button(
        TEXT["bring"], key="follow_bring", icon=":material/group:", help=TEXT["bring_help"],
        on_click=_bring_everyone, args=(class_id,),
    )  # fmt: skip
    st.caption(TEXT["following_count"].format(n=Follow(store).following_count(class_id)))


# -- a student -----------------------------------------------------------------------------------


def _switched(seat_id: str, class_id: str) -> None:
    store = _store()
    if store is None:
        return
    follow = Follow(store)
    try:
        if st.session_state[SWITCH]:
            signal = follow.signal(class_id)
            got = follow.start(
                seat_id, class_id, here(), signal.recall if signal is not None else None
            )
            if got is not None:
                st.session_state[GO] = got[0]
                st.session_state[SEEN] = got[1]
        elif (own := follow.stop(seat_id, class_id)) is not None:
            st.session_state.pop(MOVED, None)
            st.session_state[GO] = own
    except StoreError as exc:
        st.session_state[NOTE] = ("error", message(exc))


def _poll(seat_id: str, class_id: str) -> None:
    """Every :data:`POLL_S`: one row read; a move only when the teacher's seq changed."""
    store = _store()
    if store is None:
        return
    follow = Follow(store)
    signal = follow.signal(class_id)
    seen = st.session_state.get(SEEN)
    if signal is None or signal == seen:
        return
    st.session_state[SEEN] = signal
    ctx = get_script_run_ctx()
    in_fragment = bool(ctx is not None and ctx.fragment_ids_this_run)
    seat = follow.seat(seat_id, class_id)
    recalled = signal.recall > seat.recall_seen  # the teacher called everyone back
    if recalled:
        if seat.switched_on:
            follow.obeyed(seat_id, class_id, signal.recall)
        else:  # their own location first, to give back when they switch off
            follow.start(seat_id, class_id, here(), signal.recall)
    elif not seat.switched_on or (seen is not None and seen.seq == signal.seq):
        return
    got = follow.teacher_location(class_id)
    if got is not None:
        _go(got[0], in_fragment)
    if recalled:  # the switch shows on
        st.rerun(scope="app")


def _student_ui(store, user) -> None:
    try:
        seat = Classes(store).seat_of(user.id)
    except StoreError as exc:
        log.warning("follow: %s", exc)
        return
    if seat is None:  # no class open, or not joined: nothing to follow
        return
    follow = Follow(store)
    mine = follow.seat(seat.seat_id, seat.class_id)
    st.session_state[SWITCH] = mine.switched_on
    st.toggle(
        TEXT["switch"], key=SWITCH, help=TEXT["switch_help"],
        on_change=_switched, args=(seat.seat_id, seat.class_id),
    )  # fmt: skip
    if mine.switched_on:
        st.caption(TEXT["following"])
    ctx = get_script_run_ctx()
    watcher = _watcher(store) if ctx is not None else None
    if watcher is not None and watcher.can_rerun(ctx.session_id):
        try:  # the watcher reruns this page when the teacher moves: now, one row read
            _poll(seat.seat_id, seat.class_id)
        except StoreError as exc:
            log.warning("follow: %s", exc)
        # (after the poll: a move made meanwhile is one the watcher sends)
        watcher.register(ctx.session_id, seat.class_id, mine.switched_on,
                         st.session_state.get(SEEN))  # fmt: skip
    else:  # no server runtime to rerun a session from (a script run on its own): poll
        _poll_fragment(seat.seat_id, seat.class_id)


@fragment(run_every=POLL_S)
def _poll_fragment(seat_id: str, class_id: str) -> None:
    try:
        _poll(seat_id, class_id)
    except StoreError as exc:  # a busy store: the next poll tries again
        log.warning("follow: %s", exc)


class Watcher:
    """One per server process: reads the teacher's ``(seq, recall)`` of each class that has a
    seated student's page in this process, every :data:`WATCH_S` seconds (one row per class,
    whatever the number of students), and only when it changed reruns the pages that must
    move: the followers' on a move, every seated page on a recall. A rerun is the one
    Streamlit makes when a source file is saved (``AppSession.request_rerun`` with the
    session's last client state, as a full run): the page's own code then moves it. A page
    that does not move is never rerun, and no page polls: while the teacher stays, following
    costs this process a few reads a second."""

    def __init__(self, store) -> None:
        self.store = store
        self.sessions: dict[str, tuple[str, bool]] = {}  # session id → (class, following)
        self.saw: dict[str, Signal | None] = {}  # session → the signal its page is at
        self.where: dict[str, tuple[Signal, Location]] = {}  # class → the last location read
        self.pages: dict[str, tuple[str, dict]] = {}  # session → (page, {setting: fragment})
        self.moves: dict[str, tuple[Signal, Location]] = {}  # sent to a fragment's run
        # pages to move that were running, asked at the next tick: → a fragment id, or None
        # for the whole page
        self.due: dict[str, str | None] = {}
        self.lock = threading.Lock()
        self.woken = threading.Event()  # the teacher moved in this process: look now
        self.started: dict[str, object] = {}  # session → its AppSession, once its rerun began
        self.closed = False
        self.thread: threading.Thread | None = None
        self.reruns = 0  # pages rerun so far (the tests and the benchmark read it)
        self.collected = time.monotonic()  # the watcher's last full collection

    def can_rerun(self, session_id: str) -> bool:
        """Whether this process has a server runtime to rerun the page from (else it polls)."""
        return bool(session_id) and self._session(session_id) is not None

    def register(self, session_id: str, class_id: str, following: bool,
                 seen: Signal | None | object = UNKNOWN) -> bool:  # fmt: skip
        """Note a seated page of this process and the teacher's signal it acted on last
        (``seen``: a move after it reruns the page, even one made before this process's
        first look at the class); False when there is no server runtime to rerun it from."""
        if not self.can_rerun(session_id):
            return False
        with self.lock:
            self.sessions[session_id] = (class_id, following)
            if seen is not UNKNOWN:
                self.saw[session_id] = seen
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="cnnviz-follow",
                                               daemon=True)  # fmt: skip
                self.thread.start()
        return True

    def note_page(self, session_id: str, page: str, fragments: dict) -> None:
        """A registered page's last full run: its page and which fragment draws each setting."""
        with self.lock:
            if session_id in self.sessions:
                self.pages[session_id] = (page, fragments)

    def take_move(self, session_id: str) -> tuple[Signal, Location] | None:
        """The teacher's location sent to this session's fragment run, once."""
        with self.lock:
            return self.moves.pop(session_id, None)

    def _forget(self, session_id: str) -> None:
        with self.lock:
            for known in (self.sessions, self.saw, self.pages, self.moves, self.due, self.started):
                known.pop(session_id, None)

    @staticmethod
    def _session(session_id: str):
        from streamlit.runtime import Runtime
        from streamlit.runtime.app_session import AppSession

        if not Runtime.exists():
            return None
        manager = getattr(Runtime.instance(), "_session_mgr", None)
        try:
            info = manager.get_active_session_info(session_id)
        except AttributeError:  # a test's stand-in runtime: no sessions to rerun
            return None
        session = getattr(info, "session", None)
        return session if isinstance(session, AppSession) else None

    def wake(self) -> None:
        """Look at the store now (the teacher published from this process), not at the next
        tick: a move reaches this process's followers without waiting up to :data:`WATCH_S`."""
        self.woken.set()

    def close(self) -> None:
        """Stop the loop (its thread ends after the tick in progress)."""
        self.closed = True
        self.woken.set()

    def _loop(self) -> None:
        while not self.closed:
            self.woken.wait(WATCH_S)
            self.woken.clear()
            if self.closed:
                return
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a busy store or a closing session: next tick
                log.warning("follow watcher:", exc_info=True)

    def tick(self) -> int:
        """One look at the store (one row per class); returns how many pages it asked to
        rerun. A page whose signal differs from the teacher's moves: a follower on a move,
        every seated page on a recall. A page first seen here is taken to be where the
        teacher is (it polled on its run) unless it said which signal it acted on."""
        with self.lock:
            sessions = dict(self.sessions)
            for class_id in set(self.where) - {c for c, _ in sessions.values()}:
                del self.where[class_id]
            due, self.due = self.due, {}
        follow = Follow(self.store)
        for class_id in {c for c, _ in sessions.values()}:
            signal = follow.signal(class_id)
            if signal is None:
                continue
            with self.lock:
                pages = [(sid, following, self.saw.setdefault(sid, signal))
                         for sid, (c, following) in sessions.items() if c == class_id]  # fmt: skip
            behind = [(sid, following, seen) for sid, following, seen in pages if seen != signal]
            if not behind and class_id in self.where:
                continue
            followers = [
                sid
                for sid, following, seen in behind  # moves, not recalls
                if following and seen is not None and seen.recall == signal.recall
            ]
            fragments = self._moved(follow, class_id, followers)
            for sid, following, seen in behind:
                recall = seen is None or seen.recall != signal.recall
                if following or recall:
                    _merge(due, sid, None if recall else fragments.get(sid))
            with self.lock:
                for sid, _, _ in behind:
                    if sid in self.sessions:
                        self.saw[sid] = signal
        rerun = self._rerun_all(due)
        self.reruns += rerun
        return rerun

    def _rerun_all(self, due: dict[str, str | None]) -> int:
        """Rerun the pages in ``due`` in turn, at most :data:`RERUNS_AT_ONCE` running at once;
        returns how many were asked."""
        count, flight = 0, {}
        for sid, fragment_id in due.items():
            self._settle(flight, RERUNS_AT_ONCE - 1)
            if self._rerun(sid, fragment_id):
                count += 1
                flight[sid] = time.monotonic()
        if count and time.monotonic() - self.collected > COLLECT_AFTER_MOVE_S:
            self._settle(flight, 0)
            gc.collect()
            self.collected = time.monotonic()
        return count

    def _settle(self, flight: dict[str, float], most: int) -> None:
        """Wait until at most ``most`` of the reruns in ``flight`` are still running (a rerun
        has ended once its session holds no script runner)."""
        while len(flight) > most:
            time.sleep(FLIGHT_CHECK_S)
            now = time.monotonic()
            for sid, since in list(flight.items()):
                session = self.started.get(sid)
                ended = session is not None and session._scriptrunner is None
                if ended or now - since > RERUN_WAIT_S:
                    del flight[sid]

    def _moved(self, follow: Follow, class_id: str, followers: list[str]) -> dict[str, str]:
        """Read where the teacher is now; for each follower (each at the signal of the
        location read before) whose page is the teacher's and whose one fragment draws every
        setting the teacher changed since: that fragment's id (the location is kept for its
        run). The others move as a whole page."""
        got = follow.teacher_location(class_id)
        before = self.where.pop(class_id, None)
        if got is None:
            return {}
        target, signal = got
        self.where[class_id] = (signal, target)
        if before is None or before[1].page != target.page:
            return {}
        seen, before = before
        keys = set(before.values) | set(target.values)
        changed = {k for k in keys if before.values.get(k) != target.values.get(k)}
        out = {}
        with self.lock:
            for sid in followers:
                page, fragments = self.pages.get(sid, ("", {}))
                found = {fragments.get(k) for k in changed}
                if (changed and self.saw.get(sid) == seen and page == target.page
                        and len(found) == 1 and None not in found):  # fmt: skip
                    out[sid] = found.pop()
                    self.moves[sid] = (signal, target)
                else:  # the whole page moves (an earlier fragment move is void)
                    self.moves.pop(sid, None)
        return out

    def _rerun(self, session_id: str, fragment_id: str | None = None) -> int:
        """Rerun a page (or only ``fragment_id``, the fragment that holds what changed), on
        its own event loop, as Streamlit does when a source is saved. A page running now (a
        student's own change in flight) is asked at the next tick, so the change it runs with
        is never replaced by an older state."""
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.runtime.app_session import AppSessionState

        session = self._session(session_id)
        if session is None:  # closed: forgotten
            self._forget(session_id)
            return 0
        if session._state == AppSessionState.APP_IS_RUNNING:
            with self.lock:
                _merge(self.due, session_id, fragment_id)
            return 0
        state = ClientState()
        state.CopyFrom(session._client_state)
        state.fragment_id, state.is_auto_rerun = "", False

        def request() -> None:  # on the session's loop: is the fragment still there?
            if fragment_id and session.has_fragment(fragment_id):
                state.fragment_id = fragment_id
            else:  # the whole page: its sidebar's poll moves it
                with self.lock:
                    self.moves.pop(session_id, None)
            session.request_rerun(state)
            self.started[session_id] = session  # running now (see _settle)

        self.started.pop(session_id, None)
        session._event_loop.call_soon_threadsafe(request)
        return 1


def _merge(due: dict[str, str | None], session_id: str, fragment_id: str | None) -> None:
    """Ask ``session_id`` to rerun ``fragment_id``; two different asks make a whole page."""
    if session_id in due and due[session_id] != fragment_id:
        due[session_id] = None
    else:
        due[session_id] = fragment_id


@st.cache_resource(show_spinner=False)
def _watchers() -> dict:
    return {}


def _watcher(store) -> Watcher:
    watchers = _watchers()
    key = str(store.root)
    if key not in watchers:
        watchers[key] = Watcher(store)
    return watchers[key]


def follow_ui() -> None:
    """The sidebar's part: first what a move asked for (before any widget of the page), then
    the teacher's "Bring everyone here" or a seated student's switch and poll."""
    ss = st.session_state
    ctx = get_script_run_ctx()
    _keep_moves()
    pending = ss.pop(PENDING, None)
    if pending and ctx is not None and pending[0] == ctx.page_script_hash:
        _set(pending[1])
    if (target := ss.pop(GO, None)) is not None:
        _go(target, in_fragment=False)
    if note := ss.pop(NOTE, None):
        getattr(st, note[0])(note[1])
    store = _store()
    if store is None:
        return
    from ui.identity import current_user

    user = current_user()
    if user.is_teacher:
        _teacher_ui(store)
    else:
        _student_ui(store, user)


__all__ = ["POLL_S", "WATCH_S", "Signal", "Watcher", "follow_ui", "here", "lead"]
