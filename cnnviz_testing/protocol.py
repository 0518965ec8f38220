"""A Streamlit client at the websocket level: one browser tab without the rendering.

It speaks the frontend's protocol (Streamlit 1.67, ``BackMsg``/``ForwardMsg``):

1. ``GET /_stcore/health`` (the frontend's ping, which sets the ``_streamlit_xsrf`` cookie),
   then a websocket to ``/_stcore/stream`` with the subprotocols the frontend sends
   (``streamlit``, the XSRF token, no session id), its ``Origin`` and cookies (every one the
   server set: the XSRF token, and behind the lecture hall's nginx its routing cookie).
2. The first ``BackMsg.rerun_script``: ``page_name`` from the URL path, the query string, an
   empty ``page_script_hash`` and no widget states, plus the ``context_info`` a browser sends.
3. It reads the run's ``ForwardMsg``\\ s: ``new_session`` (run id, ``max_cached_message_age``),
   ``navigation`` (the page's script hash, sent with every later rerun), ``page_info_changed``
   (the query string the app wrote), ``delta``\\ s and ``script_finished``. Widgets are learnt
   from the deltas: their ``id`` (``$$ID-<hash>-<key>``), their kind and value as the frontend
   keeps it (the element's value when ``set_value`` is set, else the value it already holds,
   else the default). Cacheable messages are kept as the frontend's ``ForwardMessageCache``
   does (aged per run, evicted after ``max_cached_message_age`` runs) and their hashes sent
   with every rerun, so the server answers with ``ref_hash`` messages, which are resolved.
4. A change is a ``rerun_script`` with the page hash, the query string (a widget bound to the
   URL updates its parameter, and removes it at its default, as the frontend does) and the
   state of every widget the page shows, with the changed value; a button click adds a
   ``trigger_value``. A widget inside an ``st.fragment`` (its delta's ``fragment_id``) reruns
   only that fragment, as in the browser.
5. ``auto_rerun`` messages (an ``st.fragment(run_every=…)``) start a timer that sends a
   fragment rerun (``fragment_id``, ``is_auto_rerun``) every interval, as the frontend's
   ``setInterval`` does; a full run's ``new_session`` and ``stop_auto_rerun`` cancel them.

A change is done at the first ``script_finished`` that is not ``FINISHED_EARLY_FOR_RERUN``
(a page's own ``st.rerun`` adds its second run) of a run that started after the change was
sent; it fails on a timeout, a dropped connection, an exception in the run, or a compile error.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FULL_OK = ForwardMsg.FINISHED_SUCCESSFULLY
FRAGMENT_OK = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


@dataclass
class Widget:
    """One widget as the frontend's WidgetStateManager holds it: id, kind and current value."""

    id: str
    kind: str  # the element's type: selectbox, radio, slider, checkbox, number_input, …
    field: str  # the WidgetState value field the frontend sends
    value: object
    default: object
    element: object  # the element's proto (options, min/max/step, query_param_key, disabled)
    fragment_id: str = ""  # set when the widget is inside an st.fragment: it reruns only that

    @property
    def key(self) -> str:
        return self.id.rsplit("-", 1)[-1] if self.id.startswith("$$ID-") else self.id

    def to_proto(self, state: WidgetState) -> None:
        state.id = self.id
        if self.field in ("double_array_value", "string_array_value"):
            getattr(state, self.field).data.extend(self.value)
        else:
            setattr(state, self.field, self.value)

    def url_value(self) -> str:
        """The widget's value as the frontend writes it into a bound query parameter."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, list):
            return ",".join(_num(v) for v in self.value)
        return _num(self.value)


def _num(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _element_value(kind: str, el) -> tuple[str, object, object] | None:
    """(value field, value if ``set_value``, default) of a widget element, as the frontend reads
    them; None for elements whose state the frontend sends only on interaction (buttons,
    charts' selections, uploads), which the server keeps from the previous run."""
    if kind == "checkbox":
        return "bool_value", el.value, el.default
    if kind in ("selectbox", "radio"):
        value = el.raw_value if el.HasField("raw_value") else None
        default = el.options[el.default] if el.HasField("default") else None
        return "string_value", value, default
    if kind == "slider":
        if el.options:  # select_slider: option labels
            default = [el.options[int(i)] for i in el.default]
            return "string_array_value", list(el.raw_value), default
        return "double_array_value", list(el.value), list(el.default)
    if kind == "number_input":
        field_ = "int_value" if el.data_type == NumberInput.INT else "double_value"
        cast = int if field_ == "int_value" else float
        value = cast(el.value) if el.HasField("value") else None
        default = cast(el.default) if el.HasField("default") else None
        return field_, value, default
    if kind in ("text_input", "text_area"):
        value = el.value if el.HasField("value") else None
        default = el.default if el.HasField("default") else None
        return "string_value", value, default
    if kind == "multiselect":
        return "string_array_value", list(el.raw_values), [el.options[i] for i in el.default]
    if kind == "button_group":
        default = [el.options[i].content for i in el.default if 0 <= i < len(el.options)]
        return "string_array_value", list(el.raw_values), default
    return None


class MessageCache:
    """The frontend's ForwardMessageCache: cacheable messages by hash, aged per script run."""

    def __init__(self) -> None:
        self.entries: dict[str, list] = {}  # hash → [raw bytes, run count when last used, fid]
        self.runs = 0

    def keep(self, msg: ForwardMsg, raw: bytes) -> None:
        if msg.metadata.cacheable and msg.hash:
            entry = self.entries.get(msg.hash)
            if entry is None:
                self.entries[msg.hash] = [raw, self.runs, msg.delta.fragment_id]
            else:
                entry[1] = self.runs

    def get(self, hash_: str) -> bytes | None:
        entry = self.entries.get(hash_)
        if entry is None:
            return None
        entry[1] = self.runs
        return entry[0]

    def run_finished(self, max_age: int, fragment_ids: list[str]) -> None:
        """After a run (not one stopped for a rerun), drop what no run used for max_age runs;
        a fragment run ages only that fragment's messages."""
        self.runs += 1
        for h, (_, used, fid) in list(self.entries.items()):
            if fragment_ids and (not fid or fid not in fragment_ids):
                continue
            if self.runs - used > max_age:
                del self.entries[h]


@dataclass
class Request:
    """A rerun this client asked for, and what came back for it."""

    kind: str  # "full" or "fragment"
    sent: float
    fragment_id: str = ""
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass
class Run:
    """A script run of this session, from its ``new_session`` to its ``script_finished``."""

    id: str
    started: float
    fragment_ids: list[str]
    keys: set[str] = field(default_factory=set)  # keyed elements the run sent
    exceptions: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0


@dataclass
class Result:
    """One rerun as the client saw it."""

    ms: float
    ok: bool
    error: str = ""  # timeout, disconnected, exception, no chart, cache miss, compile error
    messages: int = 0
    bytes: int = 0
    keys: frozenset[str] = frozenset()


class Session:
    """One browser tab, at the protocol level: a websocket, its widgets, its message cache."""

    def __init__(
        self, host: str, timeout_s: float, on_run_finished=None, cookies: dict | None = None
    ) -> None:
        self.host = host  # 127.0.0.1:PORT
        # the browser's cookies for this site: those the server sets (the XSRF token, the
        # lecture hall proxy's routing cookie) are kept and sent with every request after
        self.cookies: dict[str, str] = dict(cookies or {})
        self.timeout_s = timeout_s
        self.on_run_finished = on_run_finished  # called with (status, fragment run?) per run
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.session_id = ""
        self.page = ""
        self.page_hash = ""
        self.query = ""
        self.max_age = 2
        self.widgets: dict[str, Widget] = {}  # by id
        self.seen: set[str] = set()  # widget ids of the current full run
        self.buttons: dict[str, tuple[bool, str]] = {}  # id → (disabled, fragment id)
        self.cache = MessageCache()
        self.run: Run | None = None
        self.pending: list[Request] = []
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id → (interval, task)
        self.polls: list[Result] = []  # the auto-rerun fragment runs (a live training view)
        self.in_flight: set[asyncio.Task] = set()  # the polls' reruns (kept from the GC)
        self.closed: str = ""  # why the connection ended
        self.cache_hits = 0  # ref_hash messages resolved from the cache

    # -- connecting and sending

    async def open(self, page: str, query: str = "") -> Result:
        """Connect as the frontend does and run ``page``; returns the first load's timing."""
        self.page, self.query = page, query
        t0 = time.perf_counter()
        xsrf = await asyncio.to_thread(self._xsrf_cookie)
        headers = {"Origin": f"http://{self.host}"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        self.ws = await connect(
            f"ws://{self.host}/_stcore/stream",
            subprotocols=["streamlit", xsrf or "PLACEHOLDER_AUTH_TOKEN"],
            additional_headers=headers,
            max_size=None,
            ping_interval=None,  # browsers do not ping; the server's pings are answered
            open_timeout=self.timeout_s,
        )
        self.reader = asyncio.create_task(self._read())
        return await self._rerun("full", first=True, t0=t0)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _xsrf_cookie(self) -> str:
        req = urllib.request.Request(f"http://{self.host}/_stcore/health")
        if self.cookies:
            req.add_header("Cookie", self.cookie_header())
        with urllib.request.urlopen(req, timeout=30) as r:
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return self.cookies.get("_streamlit_xsrf", "")

    def widget(self, key: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.key == key), None)

    async def change(self, key: str, value: object) -> Result:
        """Set one widget and rerun, sending every widget's state as the frontend does: a
        widget inside a fragment reruns only its fragment; one bound to the URL writes its
        parameter (and removes it at the default)."""
        w = self.widget(key)
        if w is None:
            return Result(0.0, False, f"no widget {key}")
        w.value = value
        qpk = getattr(w.element, "query_param_key", "")
        if qpk:
            params = dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))
            params.pop(qpk, None)
            if w.value != w.default:
                params[qpk] = w.url_value()
            self.query = urllib.parse.urlencode(params)
        if w.fragment_id:
            return await self._rerun("fragment", fragment_id=w.fragment_id, auto=False)
        return await self._rerun("full")

    async def click(self, key: str) -> Result:
        """Press a button: every widget's state plus the button's trigger value."""
        w = next((i for i in self.buttons if i.endswith(f"-{key}")), None)
        if w is None:
            return Result(0.0, False, f"no button {key}")
        disabled, fid = self.buttons[w]
        if disabled:
            return Result(0.0, False, f"button {key} is disabled")
        trigger = WidgetState(id=w, trigger_value=True)
        if fid:
            return await self._rerun("fragment", fragment_id=fid, auto=False, extra=[trigger])
        return await self._rerun("full", extra=[trigger])

    async def _rerun(
        self,
        kind: str,
        fragment_id: str = "",
        auto: bool = True,
        first: bool = False,
        extra=(),
        t0=None,
    ) -> Result:
        if self.closed:
            return Result(0.0, False, "disconnected")
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        if first:
            cs.page_name = self.page
        else:
            cs.page_script_hash = self.page_hash
            for w in self.widgets.values():
                if w.value is not None:
                    w.to_proto(cs.widget_states.widgets.add())
            cs.widget_states.widgets.extend(extra)
        if fragment_id:
            cs.fragment_id, cs.is_auto_rerun = fragment_id, auto
        cs.cached_message_hashes.extend(self.cache.entries)
        info = cs.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"http://{self.host}/{self.page}" + (f"?{self.query}" if self.query else "")
        info.is_embedded, info.color_scheme = False, "light"
        req = Request(kind, time.perf_counter() if t0 is None else t0, fragment_id)
        self.pending.append(req)
        try:
            await self.ws.send(msg.SerializeToString())
            return await asyncio.wait_for(asyncio.shield(req.done), self.timeout_s)
        except TimeoutError:
            return Result((time.perf_counter() - req.sent) * 1000, False, "timeout")
        except (WebSocketException, OSError):
            return Result((time.perf_counter() - req.sent) * 1000, False, "disconnected")
        finally:
            if req in self.pending:
                self.pending.remove(req)

    async def idle(self, settle_s: float = 0.5, timeout_s: float = 60) -> bool:
        """Wait until no script run has been in progress for ``settle_s`` (a page that reruns
        itself, as the training view does when its run ends, has finished doing so)."""
        t_end = time.perf_counter() + timeout_s
        quiet_since = None
        while time.perf_counter() < t_end and not self.closed:
            if self.run is None:
                quiet_since = quiet_since or time.perf_counter()
                if time.perf_counter() - quiet_since >= settle_s:
                    return True
            else:
                quiet_since = None
            await asyncio.sleep(0.05)
        return False

    async def close(self) -> None:
        for _, task in self.timers.values():
            task.cancel()
        self.timers.clear()
        for task in list(self.in_flight):
            task.cancel()
        if self.ws is not None:
            with contextlib.suppress(WebSocketException, OSError, TimeoutError):
                await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketException, OSError):
                await self.reader
        self.closed = self.closed or "closed"

    # -- receiving

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg, raw)
            self.closed = "closed by the server"
        except (WebSocketException, OSError) as exc:
            self.closed = f"connection lost: {exc!r}"
        finally:
            for _, task in self.timers.values():
                task.cancel()
            for req in self.pending:
                if not req.done.done():
                    req.done.set_result(
                        Result((time.perf_counter() - req.sent) * 1000, False, "disconnected")
                    )

    def _handle(self, msg: ForwardMsg, raw: bytes) -> None:
        now = time.perf_counter()
        if self.run is not None:
            self.run.messages += 1
            self.run.bytes += len(raw)
        if msg.WhichOneof("type") == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:  # the frontend raises "Cached ForwardMsg MISS"
                if self.run is not None:
                    self.run.exceptions.append(f"cache miss {msg.ref_hash}")
                return
            self.cache_hits += 1
            ref = msg
            msg = ForwardMsg()
            msg.ParseFromString(cached)
            msg.metadata.CopyFrom(ref.metadata)
        else:
            self.cache.keep(msg, raw)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            fids = list(msg.metadata.run.fragment_ids)
            self.run = Run(msg.metadata.run.script_run_id, now, fids)
            self.max_age = msg.new_session.config.max_cached_message_age or self.max_age
            self.session_id = self.session_id or msg.new_session.initialize.session_id
            if not fids:  # a full run: the frontend clears its auto-rerun timers and elements
                for _, task in self.timers.values():
                    task.cancel()
                self.timers.clear()
                self.seen = set()
                self.buttons = {}
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, msg.delta.fragment_id)
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fid)
        elif kind == "script_finished":
            self._finished(msg.script_finished, now)

    def _element(self, element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        el = getattr(element, kind)
        if kind == "exception":
            if self.run is not None:
                self.run.exceptions.append(f"{el.type}: {el.message}"[:300])
            return
        wid = getattr(el, "id", "")
        if not wid:
            return
        if self.run is not None:
            self.run.keys.add(wid.rsplit("-", 1)[-1])
        if kind == "button":
            self.buttons[wid] = (el.disabled, fragment_id)
            return
        read = _element_value(kind, el)
        if read is None:
            return
        field_, value, default = read
        self.seen.add(wid)
        old = self.widgets.get(wid)
        if getattr(el, "set_value", False):
            current = value
        elif old is not None:
            current = old.value
        else:
            current = default
        self.widgets[wid] = Widget(wid, kind, field_, current, default, el, fragment_id)

    def _finished(self, status: int, now: float) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        if self.on_run_finished is not None:
            self.on_run_finished()
        if status == EARLY:
            return
        self.cache.run_finished(self.max_age, run.fragment_ids)
        if status == FULL_OK and not run.fragment_ids:  # the frontend drops unseen widgets
            self.widgets = {k: w for k, w in self.widgets.items() if k in self.seen}
        for req in list(self.pending):
            if req.done.done() or run.started < req.sent:
                continue
            fits = (req.kind == "full" and not run.fragment_ids) or (
                req.kind == "fragment"
                and (not run.fragment_ids or req.fragment_id in run.fragment_ids)
            )
            if not fits:
                continue
            error = ""
            if status not in (FULL_OK, FRAGMENT_OK):
                error = "compile error"
            elif run.exceptions:
                error = "exception: " + run.exceptions[0]
            req.done.set_result(Result(
                (now - req.sent) * 1000, not error, error, run.messages, run.bytes,
                frozenset(run.keys),
            ))  # fmt: skip

    # -- a fragment's run_every, as the frontend's setInterval

    def _start_timer(self, fid: str, interval: float) -> None:
        if fid in self.timers and self.timers[fid][0] == interval:
            return
        self._stop_timer(fid)
        self.timers[fid] = (interval, asyncio.create_task(self._poll(fid, interval)))

    def _stop_timer(self, fid: str) -> None:
        entry = self.timers.pop(fid, None)
        if entry is not None:
            entry[1].cancel()

    async def _poll(self, fid: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            # setInterval does not wait for the previous rerun: neither does this.
            task = asyncio.create_task(self._poll_once(fid))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def _poll_once(self, fid: str) -> None:
        res = await self._rerun("fragment", fragment_id=fid)
        self.polls.append(res)


def another_value(w: Widget, rng: random.Random, avoid: tuple[str, ...] = ()) -> object:
    """A different value for a widget, as a student would pick it (never one of ``avoid``)."""
    el = w.element
    if w.kind in ("selectbox", "radio"):
        options = [o for o in el.options if o != w.value and o not in avoid]
        return rng.choice(options)
    if w.kind == "slider" and w.field == "double_array_value":
        v, step = w.value[0], el.step or 1
        up = v + step <= el.max and (v - step < el.min or rng.random() < 0.5)
        return [v + step if up else v - step]
    if w.kind == "checkbox":
        return not w.value
    if w.kind == "number_input":
        step = el.step or 1
        v = w.value if w.value is not None else el.min
        up = (not el.has_max or v + step <= el.max) and (
            (el.has_min and v - step < el.min) or rng.random() < 0.5
        )
        return type(v)(v + step if up else v - step)
    raise ValueError(f"{w.key}: a {w.kind} widget is not one a student changes here")


def run_apart(coro):
    """Run ``coro`` to its end with ``asyncio.run`` on a thread of its own and return what it
    returns: in a test process, Playwright's sync API keeps an event loop running in the main
    thread once a browser is open, where ``asyncio.run`` refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
