"""Which queued run trains next: round-robin across the people who queued them.

Plain functions over plain data, so the order is tested without training anything. A student
with twenty queued runs delays another student's first run by at most one run: the next slot
goes to whoever was served longest ago (never served: first), and within one person's runs the
oldest goes first.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence


def next_run(
    queued: Iterable[tuple[str, str | None, float]],
    running: Mapping[str | None, int],
    last_served: Mapping[str | None, float],
    max_running_per_user: int | None = 1,
    addresses: Mapping[str, str] | None = None,
    running_by_address: Mapping[str, int] | None = None,
    max_running_per_address: int | None = None,
) -> str | None:
    """The run to start next, or None.

    Args:
        queued: (run_id, user, created) of the waiting runs, any order.
        running: user → how many of their runs train now.
        last_served: user → when their last run started (absent: never).
        max_running_per_user: a user at this many running runs waits (None: no cap; runs
            of no user are never capped).
        addresses: run_id → the client address it was queued from (absent: none known, e.g.
            the teacher's, the CLI's).
        running_by_address: address → how many runs queued from there train now.
        max_running_per_address: a run queued from an address with this many runs training
            waits, whoever queued it (a cleared cookie buys no new slot; None: no cap).
    """
    addresses, at_address = addresses or {}, running_by_address or {}
    oldest: dict[str | None, tuple[float, str]] = {}
    for run_id, user, created in queued:
        address = addresses.get(run_id)
        if (
            max_running_per_address is not None
            and address is not None
            and at_address.get(address, 0) >= max_running_per_address
        ):
            continue  # its address trains as many as it may: it waits for one to end
        if user not in oldest or (created, run_id) < oldest[user]:
            oldest[user] = (created, run_id)
    eligible = [  # runs of nobody in particular (scripts, the CLI) are never capped
        u
        for u in oldest
        if max_running_per_user is None or u is None or running.get(u, 0) < max_running_per_user
    ]
    if not eligible:
        return None
    # never served first (−inf), then the longest ago; ties: whose oldest run came first
    pick = min(eligible, key=lambda u: (last_served.get(u, float("-inf")), oldest[u]))
    return oldest[pick][1]


def positions(
    queued: Iterable[tuple[str, str | None, float]],
    running: Mapping[str | None, int],
    last_served: Mapping[str | None, float],
) -> dict[str, int]:
    """Each queued run's place in line (1 = next): :func:`next_run` played forward with every
    cap lifted (what the order will be as slots free up). O(n log n): each person's runs in
    order, and a heap of people by when they were last served (3,000 runs: milliseconds)."""
    mine: dict[str | None, list[tuple[float, str]]] = {}
    for run_id, user, created in queued:
        mine.setdefault(user, []).append((created, run_id))
    heap = []
    for user, runs in mine.items():
        runs.sort(reverse=True)  # oldest last: popped first
        created, run_id = runs[-1]
        # (0: not served here yet, when last served, its oldest run): run ids are unique, so
        # the tuple never compares two users (None and a str)
        heap.append((0, last_served.get(user, float("-inf")), created, run_id, user))
    heapq.heapify(heap)
    order: dict[str, int] = {}
    while heap:
        *_, run_id, user = heapq.heappop(heap)
        mine[user].pop()
        order[run_id] = len(order) + 1
        if mine[user]:  # served now, after everyone served before: to the back of the line
            created, nxt = mine[user][-1]
            heapq.heappush(heap, (1, len(order), created, nxt, user))
    return order


Groups = tuple  # the capped groups a run counts in: ("user", id), ("address", address)


def start_wait(
    running: Sequence[tuple[float, Groups]],
    ahead: Sequence[tuple[float, Groups]],
    slots: int,
    mine: Groups = (),
    caps: Mapping[str, int] | None = None,
) -> float:
    """Seconds until a queued run starts, as the dispatcher will start it.

    Each slot frees when its run ends (``running``: what is left of each run training now,
    and the groups it counts in; a slot without a run is free now). The runs ahead in line
    (``ahead``: their estimates and groups, in order) and then this run (in the groups
    ``mine``) each start on a slot as it frees, and not before their groups are under their
    caps of training runs (``caps``: a kind of group → its cap, e.g. ``{"user": 1,
    "address": 30}``; a student at their cap, or their address at its cap, waits for one of
    theirs to end), as :func:`next_run` passes a capped run over for the next in line: a
    run ahead that must wait for its cap leaves the slot to the runs behind it. Negative or
    non-finite times count as 0."""
    caps = caps or {}

    def seconds(x: float) -> float:
        return x if is_seconds(x) else 0.0

    ends: dict = {}  # group → its runs' end times (a heap)
    for left, groups in running:
        for g in groups:
            ends.setdefault(g, []).append(seconds(left))
    for heap in ends.values():
        heapq.heapify(heap)
    n = max(1, int(slots), len(running))
    free = sorted(seconds(t) for t, _ in running) + [0.0] * (n - len(running))
    free.sort()
    for estimate, groups in [*ahead, (None, mine)]:
        ready = 0.0  # when each of its groups is under its cap
        for g in groups:
            cap, heap = caps.get(g[0]), ends.setdefault(g, [])
            while cap is not None and len(heap) >= max(1, int(cap)):
                ready = max(ready, heapq.heappop(heap))
        # the slot that is free by then and freed last (the earlier ones stay for the runs
        # behind it), else the first to free
        i = bisect.bisect_right(free, ready)
        start = max(ready, free.pop(i - 1 if i else 0))
        if estimate is None:
            return start
        end = start + seconds(estimate)
        bisect.insort(free, end)
        for g in groups:
            heapq.heappush(ends.setdefault(g, []), end)
    return 0.0  # pragma: no cover - the loop returns at its last entry


def is_seconds(x) -> bool:
    """A time in seconds: a finite number of at least 0 (not a bool, NaN or a string)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
