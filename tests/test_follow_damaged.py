"""A damaged teacher location in the store (a row another program or a damaged file wrote:
a page that is no page, settings that are no JSON, no object, huge, nested past the parser,
values the follower's widgets cannot hold, counts that are no numbers) never breaks a
follower's page: a page opened fresh, a page already drawn (whose poll fragment runs in every
full run) and the server's watcher each leave the follower where they are, with a warning in
the log, and follow again once the teacher moves. A damaged row of the seat itself (its switch,
the recall it obeyed, its own location) breaks nothing either."""

from __future__ import annotations

import json
import logging

import pytest
from classpages import FOLLOW_PAGE, write_past_checks
from streamlit.testing.v1 import AppTest

from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User
from cnnviz.follow import Follow, Location
from conftest import APPTEST_TIMEOUT, assert_clean
from ui.identity import store_and_key

pytestmark = pytest.mark.apptest
ANN = User("a" * 16)
TEACH = User("t" * 16, TEACHER)
# The class's lesson page, with a widget of each other kind bound to the address too.
PAGE = FOLLOW_PAGE.replace(
    "lead()",
    """
st.number_input("Rate", 0.001, 1.0, 0.1, key="pool_rate", bind="query-params")
st.checkbox("Padding", key="pool_padding", bind="query-params")
st.multiselect("Show", ("a", "b"), key="pool_show", bind="query-params")
lead()""",
)
DEFAULTS = {"pool_kernel_size": 3, "pool_mode": "max", "pool_rate": 0.1,
            "pool_padding": False, "pool_show": []}  # fmt: skip
OWN = {"pool_kernel_size": 2, "pool_mode": "avg", "pool_rate": 0.5,
       "pool_padding": True, "pool_show": ["b"]}  # fmt: skip
NESTED = "[" * 10_000 + "]" * 10_000  # short enough to parse, too deep for the parser
HOSTILE = {  # (page, params, seq, recall) as written past every check
    "page with a slash": ("pooling/../x", '{"pool_kernel_size":6}', 7, 0),
    "page with markup": ("<b>x</b>", "{}", 7, 0),
    "page huge": ("p" * 100_000, "{}", 7, 0),
    "page unknown": ("nowhere", '{"pool_kernel_size":6}', 7, 0),
    "page a number": (42, "{}", 7, 0),
    "page a blob": (b"\xff\xfe", "{}", 7, 0),
    "params not json": ("", "{bad", 7, 0),
    "params empty text": ("", "", 7, 0),
    "params a list": ("", "[1,2]", 7, 0),
    "params null": ("", "null", 7, 0),
    "params a number": ("", "3", 7, 0),
    "params a blob": ("", b'{"pool_kernel_size":6}', 7, 0),
    "params nested": ("", NESTED, 7, 0),
    "params nested in a value": ("", '{"pool_kernel_size":' + NESTED + "}", 7, 0),
    "params huge text": ("", json.dumps({"pool_mode": "x" * 5_000_000}), 7, 0),
    "params many keys": ("", json.dumps({f"k{i}": i for i in range(100_000)}), 7, 0),
    "params a huge number": ("", '{"pool_kernel_size":' + "9" * 5000 + "}", 7, 0),
    "params an app key": ("", '{"cnnviz_user":"x","lang":"ko"}', 7, 0),
    "slider a string": ("", '{"pool_kernel_size":"big"}', 7, 0),
    "slider NaN": ("", '{"pool_kernel_size":NaN}', 7, 0),
    "slider Infinity": ("", '{"pool_kernel_size":Infinity}', 7, 0),
    "slider 1e400": ("", '{"pool_kernel_size":1e400}', 7, 0),
    "slider a fraction": ("", '{"pool_kernel_size":2.5}', 7, 0),
    "slider a bool": ("", '{"pool_kernel_size":true}', 7, 0),
    "slider a list": ("", '{"pool_kernel_size":[1,2]}', 7, 0),
    "slider an object": ("", '{"pool_kernel_size":{"a":1}}', 7, 0),
    "slider null": ("", '{"pool_kernel_size":null}', 7, 0),
    "slider out of range": ("", '{"pool_kernel_size":99}', 7, 0),
    "slider below range": ("", '{"pool_kernel_size":-3}', 7, 0),
    "radio a list": ("", '{"pool_mode":["avg","max"]}', 7, 0),
    "radio a number": ("", '{"pool_mode":3}', 7, 0),
    "radio unknown": ("", '{"pool_mode":"median"}', 7, 0),
    "radio markup": ("", '{"pool_mode":"<script>x</script>"}', 7, 0),
    "number a string": ("", '{"pool_rate":"fast"}', 7, 0),
    "number a list": ("", '{"pool_rate":[0.1]}', 7, 0),
    "checkbox a string": ("", '{"pool_padding":"maybe"}', 7, 0),
    "checkbox a number": ("", '{"pool_padding":7}', 7, 0),
    "multiselect a number": ("", '{"pool_show":5}', 7, 0),
    "multiselect unknown": ("", '{"pool_show":["z"]}', 7, 0),
    "seq a text": ("", '{"pool_kernel_size":6}', "seven", 0),
    "seq past any count": ("", '{"pool_kernel_size":6}', "9" * 5000, 0),
    "seq a fraction": ("", '{"pool_kernel_size":6}', 7.5, 0),
    "seq negative": ("", '{"pool_kernel_size":6}', -3, 0),
    "seq a blob": ("", '{"pool_kernel_size":6}', b"\x07", 0),
    "recall a text": ("", '{"pool_kernel_size":6}', 7, "once"),
    "recall a blob": ("", '{"pool_kernel_size":6}', 7, b"\x01"),
}


@pytest.fixture
def room():
    """An open class with Ann seated: (the store, the class, Ann's seat)."""
    store = store_and_key()[0]
    classes = Classes(store)
    session = classes.open_class(TEACH)
    seat = classes.join(ANN.id, session.code, "Ann", "10.0.0.1")
    return store, session.class_id, seat.seat_id


def damage(store, class_id: str, bad: str) -> None:
    """The class's teacher location replaced by a hostile row."""
    write_past_checks(store, "INSERT OR REPLACE INTO class_follow VALUES (?,?,?,?,?,?)",
                      class_id, *HOSTILE[bad], 0.0)  # fmt: skip


def values(at) -> dict:
    return {"pool_kernel_size": at.slider(key="pool_kernel_size").value,
            "pool_mode": at.radio(key="pool_mode").value,
            "pool_rate": at.number_input(key="pool_rate").value,
            "pool_padding": at.checkbox(key="pool_padding").value,
            "pool_show": at.multiselect(key="pool_show").value}  # fmt: skip


HOLDS = {  # what each widget can hold
    "pool_kernel_size": lambda v: type(v) is int and 1 <= v <= 7,
    "pool_mode": lambda v: v in ("max", "avg"),
    "pool_rate": lambda v: type(v) is float and 0.001 <= v <= 1.0,
    "pool_padding": lambda v: type(v) is bool,
    "pool_show": lambda v: isinstance(v, list) and set(v) <= {"a", "b"},
}


def where_it_was(at, store, class_id: str, before: dict) -> None:
    """Every widget holds a value it can hold; a row the store cannot read moves nothing, and
    a readable one moves at most the settings it names (each as a lesson link with that value
    would: Streamlit's reader of the address, which keeps a widget's default for a value it
    cannot hold)."""
    got = values(at)
    assert all(HOLDS[key](value) for key, value in got.items()), got
    read = Follow(store).teacher_location(class_id)
    named = set(read[0].values) if read is not None and read[0].page == "" else set()
    assert {k: v for k, v in got.items() if k not in named} == {
        k: v for k, v in before.items() if k not in named
    }


def follower() -> AppTest:
    at = AppTest.from_string(PAGE, default_timeout=APPTEST_TIMEOUT)
    at.session_state["cnnviz_user"] = ANN
    return at


def moves_again(at, store, class_id: str) -> None:
    """The teacher moves (a sound location): the follower's page takes it."""
    Follow(store).publish(TEACH, class_id, Location("", {"pool_kernel_size": 6}))
    at.run()
    assert_clean(at)
    assert at.slider(key="pool_kernel_size").value == 6


@pytest.mark.parametrize("bad", list(HOSTILE))
def test_a_follower_page_opened_fresh_opens_where_it_is(room, bad, caplog):
    store, class_id, seat_id = room
    store.set_seat_follow(seat_id, class_id, True)  # she switched on before, on another page
    damage(store, class_id, bad)
    with caplog.at_level(logging.WARNING, logger="cnnviz"):
        at = follower().run()
        assert_clean(at)
        assert at.toggle(key="follow_switch").value
        where_it_was(at, store, class_id, DEFAULTS)
        at.run()
        assert_clean(at)
        where_it_was(at, store, class_id, DEFAULTS)
    if Follow(store).teacher_location(class_id) is None:  # the row itself is damaged
        assert any("damaged" in r.getMessage() or "not text" in r.getMessage()
                   for r in caplog.records)  # fmt: skip
    moves_again(at, store, class_id)


@pytest.mark.parametrize("bad", list(HOSTILE))
def test_a_drawn_follower_page_keeps_its_settings(room, bad):
    store, class_id, _ = room
    at = follower().run()
    for key, value in OWN.items():
        at.session_state[key] = value  # her own settings, then the damaged move
    at.run()
    at.toggle(key="follow_switch").set_value(True).run()  # (the teacher has not published)
    assert_clean(at)
    assert values(at) == OWN
    damage(store, class_id, bad)
    for _ in range(2):  # the poll's move, then the run after it
        at.run()
        assert_clean(at)
    where_it_was(at, store, class_id, OWN)
    moves_again(at, store, class_id)


def test_the_watcher_passes_over_damaged_rows(room, caplog):
    """The server's watcher: a damaged row raises nothing, moves no page it cannot place; a
    sound move after it reruns the follower again."""
    from ui.follow import Watcher

    store, class_id, _ = room
    rerun: list[str] = []
    watcher = Watcher(store)
    watcher._rerun = lambda sid, fragment=None: rerun.append(sid) or 1
    watcher.sessions = {"ann": (class_id, True), "bob": (class_id, False)}
    watcher.note_page("ann", "", {"pool_kernel_size": "f-try"})
    Follow(store).publish(TEACH, class_id, Location("", {"pool_kernel_size": 4}))
    watcher.tick()
    with caplog.at_level(logging.WARNING, logger="cnnviz"):
        for bad in HOSTILE:
            damage(store, class_id, bad)
            assert watcher.tick() in (0, 1)
            assert watcher.take_move("ann") is None  # no fragment is handed a damaged move
            assert "bob" not in rerun
    assert any("damaged" in r.getMessage() for r in caplog.records)
    rerun.clear()
    Follow(store).publish(TEACH, class_id, Location("", {"pool_kernel_size": 5}))
    assert watcher.tick() >= 1 and "ann" in rerun  # (Bob's page too: a first publication)


SEAT_DAMAGE = {  # the seat's own row: its switch, the recall it obeyed, its own location
    "switch a text": "following='yes', recall_seen='once'",
    "recall a blob": "following=1, recall_seen=x'01'",
    "recall past any count": "following=1, recall_seen=1e300",
    "own location not json": "following=1, own_page='', own_params='{bad'",
    "own location nested": "following=1, own_page='', own_params='" + NESTED + "'",
    "own page a blob": "following=1, own_page=x'ff', own_params='{}'",
    "own settings misfit": "following=1, own_page='', own_params='{\"pool_kernel_size\":\"big\"}'",
}


@pytest.mark.parametrize("bad", list(SEAT_DAMAGE))
def test_a_damaged_seat_row_never_breaks_its_page(room, bad):
    """The page opens and switching off (which gives the seat's own location back) leaves it
    where it is; switching on again follows the teacher."""
    store, class_id, seat_id = room
    Follow(store).publish(TEACH, class_id, Location("", {"pool_kernel_size": 5}))
    store.set_seat_follow(seat_id, class_id, True, own=("", "{}"))
    write_past_checks(store, f"UPDATE seat_follow SET {SEAT_DAMAGE[bad]} WHERE seat_id=?",
                      seat_id)  # fmt: skip
    at = follower().run()
    assert_clean(at)
    at.run()
    assert_clean(at)
    before = values(at)
    if at.toggle(key="follow_switch").value:
        at.toggle(key="follow_switch").set_value(False).run()
        assert_clean(at)
        assert values(at) == before  # no own location it can take: it stays
    at.toggle(key="follow_switch").set_value(True).run()
    assert_clean(at)
    assert at.slider(key="pool_kernel_size").value == 5  # the teacher's, followed again
