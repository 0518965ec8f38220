"""Following the teacher on a real server, at the protocol level (what a browser sends and
receives): a teacher's move made as soon as the followers' pages opened reaches them; each
later change of a setting inside one fragment of the page moves each follower by a run of
that fragment alone, never a rerun of the whole page; a student who does not follow is not
rerun at all."""

from __future__ import annotations

import asyncio
import time

import pytest

from cnnviz.classes import Classes
from cnnviz.classroom import TEACHER, User, new_user_id, sign
from cnnviz.follow import Follow
from cnnviz.runs import RunStore
from cnnviz_testing.protocol import Session, run_apart
from conftest import CLASS_SECRET

pytestmark = pytest.mark.slow
KERNEL = "pool_kernel_size"


class Watched(Session):
    """A session that keeps, for every run it saw end, whether it was a fragment's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[tuple[str, ...]] = []

    def _finished(self, status: int, now: float) -> None:
        if self.run is not None:
            self.runs.append(tuple(self.run.fragment_ids))
        super()._finished(status, now)


def kernel(s: Session) -> int | None:
    w = s.widget(KERNEL)
    return int(w.value[0]) if w is not None and w.value else None


async def _until(check, timeout_s: float = 60) -> bool:
    t_end = time.perf_counter() + timeout_s
    while time.perf_counter() < t_end:
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


async def _lesson(host: str, home) -> tuple[list[Watched], Watched, Watched]:
    store = RunStore(home)
    key = store.secret_key()
    from ui.identity import cookie_names

    id_cookie, teacher_cookie = cookie_names(key)
    lead = User(new_user_id(), TEACHER)
    token = store.issue_teacher_token(lead.id, CLASS_SECRET, 3600)
    classes = Classes(store)
    session = classes.open_class(lead)
    follow, students = Follow(store), []
    for i in range(3):
        uid = new_user_id()
        seat = classes.join(uid, session.code, f"Student {i + 1}", "127.0.0.1")
        if i < 2:
            follow.start(seat.seat_id, seat.class_id, None)
        students.append(Watched(host, 60, cookies={id_cookie: sign(uid, key)}))
    teacher = Watched(host, 60, cookies={id_cookie: sign(lead.id, key), teacher_cookie: token})
    assert (await teacher.open("pooling")).ok
    for s in students:
        assert (await s.open("pooling")).ok
    return students, teacher, students[2]


def test_a_move_inside_a_fragment_reruns_only_that_fragment(class_server):
    url, home = class_server

    async def lesson() -> None:
        host = url.split("://", 1)[1].rstrip("/")
        students, teacher, alone = await _lesson(host, home)
        followers = students[:2]
        try:
            for i, k in enumerate((5, 2, 6)):  # the first at once after the pages opened
                before = [len(s.runs) for s in students]
                assert (await teacher.change(KERNEL, [float(k)])).ok
                assert await _until(lambda k=k: all(kernel(f) == k for f in followers))
                await asyncio.sleep(1.0)  # (a second rerun, if any, would have come by now)
                for f, n in zip(followers, before, strict=False):
                    moved = f.runs[n:]
                    assert moved, moved
                    # the first move may come before the server's first look at the class (it
                    # then moves the whole page); every later one is a fragment's run alone
                    assert i == 0 or all(fids for fids in moved), (i, moved)
                assert alone.runs[before[2] :] == [] and kernel(alone) == 3
        finally:
            for s in (*students, teacher):
                await s.close()

    run_apart(lesson())  # (not asyncio.run: a browser test's loop may run in this thread)
