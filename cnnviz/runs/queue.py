"""Which queued run trains next: round-robin across the people who queued them.

Plain functions over plain data, so the order is tested without training anything. A student
with twenty queued runs delays another student's first run by at most one run: the next slot
goes to whoever was served longest ago (never served: first), and within one person's runs the
oldest goes first.
"""

from __future__ import annotations

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


def start_wait(
    running_left: Sequence[float],
    ahead: Sequence[float],
    slots: int,
    not_before: float = 0.0,
) -> float:
    """Seconds until a queued run starts.

    Each slot frees when its run ends (``running_left``: what is left of the runs training
    now; a slot without a run is free now); the runs ahead in line (``ahead``: their
    estimates, in order) take the slots as they free; the run starts on the next free slot,
    and not before ``not_before`` (when its owner, at their cap of running runs, has one
    finished). Negative or non-finite times count as 0.
    """

    def seconds(x: float) -> float:
        return x if is_seconds(x) else 0.0

    n = max(1, int(slots), len(running_left))
    free = sorted(seconds(t) for t in running_left) + [0.0] * (n - len(running_left))
    heapq.heapify(free)
    for estimate in ahead:
        heapq.heapreplace(free, free[0] + seconds(estimate))
    return max(free[0], seconds(not_before))


def is_seconds(x) -> bool:
    """A time in seconds: a finite number of at least 0 (not a bool, NaN or a string)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
