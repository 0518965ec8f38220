"""Which queued run trains next: round-robin across the people who queued them.

Plain functions over plain data, so the order is tested without training anything. A student
with twenty queued runs delays another student's first run by at most one run: the next slot
goes to whoever was served longest ago (never served: first), and within one person's runs the
oldest goes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def next_run(
    queued: Iterable[tuple[str, str | None, float]],
    running: Mapping[str | None, int],
    last_served: Mapping[str | None, float],
    max_running_per_user: int | None = 1,
) -> str | None:
    """The run to start next, or None.

    Args:
        queued: (run_id, user, created) of the waiting runs, any order.
        running: user → how many of their runs train now.
        last_served: user → when their last run started (absent: never).
        max_running_per_user: a user at this many running runs waits (None: no cap; runs
            of no user are never capped).
    """
    oldest: dict[str | None, tuple[float, str]] = {}
    for run_id, user, created in queued:
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
    """Each queued run's place in line (1 = next), by playing :func:`next_run` forward with
    every cap lifted (what the order will be as slots free up)."""
    waiting = list(queued)
    served = dict(last_served)
    clock = max([0.0, *served.values()])
    order: dict[str, int] = {}
    while waiting:
        rid = next_run(waiting, running, served, None)
        if rid is None:
            break
        user = next(u for r, u, _ in waiting if r == rid)
        clock += 1.0
        served[user] = clock
        order[rid] = len(order) + 1
        waiting = [w for w in waiting if w[0] != rid]
    return order
