"""The protocol-level Streamlit client (cnnviz_testing.protocol, what the classroom load
benchmark's students speak), without a server: how it reads widgets from deltas, what it sends
for a change, which run answers it, and the frontend's message cache."""

from __future__ import annotations

import asyncio
import random

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from cnnviz_testing import protocol as cl

pytestmark = pytest.mark.unit

PAGE_HASH = "abc123"
FRAG = "frag1"


class FakeSocket:
    """Collects what the client sends."""

    def __init__(self) -> None:
        self.sent: list[BackMsg] = []

    async def send(self, data: bytes) -> None:
        msg = BackMsg()
        msg.ParseFromString(data)
        self.sent.append(msg)


def new_session(run_id: str, fragment_ids=()) -> ForwardMsg:
    m = ForwardMsg()
    m.new_session.config.max_cached_message_age = 2
    m.metadata.run.script_run_id = run_id
    m.metadata.run.fragment_ids.extend(fragment_ids)
    return m


def finished(run_id: str, status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    m = ForwardMsg()
    m.script_finished = status
    m.metadata.run.script_run_id = run_id
    return m


def selectbox(key: str, options, default: int, fragment_id: str = "", raw=None) -> ForwardMsg:
    m = ForwardMsg()
    m.delta.fragment_id = fragment_id
    el = m.delta.new_element.selectbox
    el.id = f"$$ID-0f0f-{key}"
    el.options.extend(options)
    el.default = default
    el.query_param_key = key
    if raw is not None:
        el.raw_value, el.set_value = raw, True
    return m


def feed(s: cl.Session, *msgs: ForwardMsg) -> None:
    for m in msgs:
        s._handle(m, m.SerializeToString())


def loaded_session() -> cl.Session:
    """A session that has run a page with a preset selectbox inside a fragment."""
    s = cl.Session("127.0.0.1:1", timeout_s=5)
    s.ws = FakeSocket()
    nav = ForwardMsg()
    nav.navigation.page_script_hash = PAGE_HASH
    feed(
        s,
        new_session("r0"),
        nav,
        selectbox("xcorr_kernel_preset", ["Edge", "Sobel x", "Laplacian"], 0, FRAG),
        selectbox("xcorr_source", ["Stripes", "Draw"], 0),
        finished("r0"),
    )
    return s


def test_widgets_are_learnt_from_deltas_with_value_default_and_fragment():
    s = loaded_session()
    w = s.widget("xcorr_kernel_preset")
    assert (w.kind, w.field, w.value, w.default, w.fragment_id) == (
        "selectbox",
        "string_value",
        "Edge",
        "Edge",
        FRAG,
    )
    assert s.page_hash == PAGE_HASH
    # A later run keeps the value the client holds unless the server sets it (set_value).
    s.widget("xcorr_kernel_preset").value = "Laplacian"
    feed(s, new_session("r1"), selectbox("xcorr_kernel_preset", ["Edge", "Sobel x"], 0, FRAG))
    assert s.widget("xcorr_kernel_preset").value == "Laplacian"
    feed(s, selectbox("xcorr_kernel_preset", ["Edge", "Sobel x"], 0, FRAG, raw="Sobel x"))
    assert s.widget("xcorr_kernel_preset").value == "Sobel x"
    # A full run that no longer shows a widget drops it, as the frontend does.
    feed(s, finished("r1"))
    assert s.widget("xcorr_source") is None


def test_a_change_sends_every_widget_and_is_answered_by_the_next_fragment_run():
    async def go():
        s = loaded_session()
        change = asyncio.create_task(s.change("xcorr_kernel_preset", "Sobel x"))
        await asyncio.sleep(0)
        (sent,) = s.ws.sent
        cs = sent.rerun_script
        assert cs.page_script_hash == PAGE_HASH
        assert cs.fragment_id == FRAG and not cs.is_auto_rerun
        assert cs.query_string == "xcorr_kernel_preset=Sobel+x"
        states = {w.id.rsplit("-", 1)[-1]: w.string_value for w in cs.widget_states.widgets}
        assert states == {"xcorr_kernel_preset": "Sobel x", "xcorr_source": "Stripes"}
        # A run that ends early (a page's own st.rerun) does not answer it; the next does.
        chart = ForwardMsg()
        chart.delta.new_element.plotly_chart.id = "$$ID-1-xcorr_out_chart"
        feed(s, new_session("r1", [FRAG]), finished("r1", ForwardMsg.FINISHED_EARLY_FOR_RERUN))
        assert not change.done()
        feed(s, new_session("r2", [FRAG]), chart)
        feed(s, finished("r2", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY))
        res = await change
        assert res.ok and "xcorr_out_chart" in res.keys and res.messages == 2
        # Back at the default, the bound parameter leaves the address.
        task = asyncio.create_task(s.change("xcorr_kernel_preset", "Edge"))
        await asyncio.sleep(0)
        assert s.ws.sent[-1].rerun_script.query_string == ""
        feed(
            s,
            new_session("r3", [FRAG]),
            finished("r3", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY),
        )
        assert (await task).ok

    cl.run_apart(go())


def test_an_exception_in_the_rerun_is_an_error():
    async def go():
        s = loaded_session()
        change = asyncio.create_task(s.change("xcorr_kernel_preset", "Sobel x"))
        await asyncio.sleep(0)
        exc = ForwardMsg()
        exc.delta.new_element.exception.type = "ValueError"
        exc.delta.new_element.exception.message = "boom"
        feed(s, new_session("r1", [FRAG]), exc)
        feed(s, finished("r1", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY))
        res = await change
        assert not res.ok and res.error == "exception: ValueError: boom"

    cl.run_apart(go())


def test_message_cache_resolves_references_and_ages_like_the_frontend():
    s = loaded_session()
    big = selectbox("xcorr_row", ["a", "b"], 1)
    big.hash, big.metadata.cacheable = "h1", True
    feed(s, new_session("r1"), big, finished("r1"))
    assert list(s.cache.entries) == ["h1"]
    ref = ForwardMsg()
    ref.ref_hash = "h1"
    feed(s, new_session("r2"), ref, finished("r2"))
    assert s.cache_hits == 1 and s.widget("xcorr_row").value == "b"
    # Fragment runs count, but drop only their own fragment's messages; the next full run
    # drops what no run used for more than max_cached_message_age (2) runs.
    for run in ("r3", "r4"):
        feed(
            s,
            new_session(run, [FRAG]),
            finished(run, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY),
        )
    assert "h1" in s.cache.entries
    feed(s, new_session("r5"), finished("r5"))
    assert "h1" not in s.cache.entries


def test_next_value_is_a_real_change_within_range():
    m = ForwardMsg()
    slider = m.delta.new_element.slider
    slider.min, slider.max, slider.step = 1, 4, 1
    rng = random.Random(0)
    for v in (1.0, 3.0, 4.0):
        w = cl.Widget("$$ID-1-pad_kernel_h", "slider", "double_array_value", [v], [v], slider)
        (got,) = cl.another_value(w, rng)
        assert got != v and 1 <= got <= 4 and abs(got - v) == 1
    s = loaded_session()
    w = s.widget("xcorr_kernel_preset")
    assert {cl.another_value(w, rng) for _ in range(50)} == {"Sobel x", "Laplacian"}
    assert {cl.another_value(w, rng, avoid=("Laplacian",)) for _ in range(20)} == {"Sobel x"}
