"""Following the teacher in a class: the students' pages track the teacher's page and lesson
settings (cnnviz goes beyond the book here, as every classroom feature does).

Plain data and functions over the run store (no Streamlit): the pages ask them, the tests call
them. Everything lives in the store (:mod:`cnnviz.runs.following`), so a teacher served by one
server process leads students served by another.

- **A location** is a page (its address path, ``"pooling"``) and the values of the settings
  that page keeps in its address (``{"pool_kernel_size": 4, "pool_mode": "avg"}``): exactly
  what a lesson link carries. Drawings, uploads and runs are never part of it.
- **Publishing.** The teacher's page publishes its location while a class is open, and only
  when it changed (:meth:`Follow.publish` compares first: a teacher who does not move writes
  nothing). Each change counts one more ``seq``.
- **Following.** A follower's page reads ``(seq, recall)`` (:meth:`Follow.signal`, one row)
  and moves only when it changed.
- **Switching.** Switching following on keeps the student's own location in the store
  (:meth:`Follow.start`); switching it off gives it back (:meth:`Follow.stop`).
- **Calling everyone back.** :meth:`Follow.bring_everyone` (the teacher only) publishes the
  teacher's location and counts one more ``recall``: every seat follows from then on (a seat
  whose page is closed, when it opens); its page, seeing a recall it has not obeyed, switches
  following on, keeping the student's own location first if it was off.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cnnviz import classroom as C
from cnnviz.errors import KeyedError

if TYPE_CHECKING:
    from cnnviz.runs.store import RunStore

log = logging.getLogger("cnnviz")
MAX_VALUES = 200  # settings in one location (the builder's page has the most, well below)
MAX_JSON_CHARS = 32_768  # a location's JSON (the longest setting is a 4,096-character text)
MAX_TEXT_CHARS = 4_096  # as ui/links.py: no setting is longer
_PAGE = re.compile(r"[a-z0-9_-]{0,64}", re.ASCII)
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)
# Session keys of the app itself, never a lesson setting: a location cannot set them.
RESERVED_PREFIXES = ("cnnviz_", "teacher_", "follow_", "lang")


class FollowAccessError(KeyedError, PermissionError):
    """Only the teacher may lead the class (publish a location, bring everyone back)."""


def _plain(value: object) -> bool:
    if isinstance(value, bool | int | str):
        return not isinstance(value, str) or len(value) <= MAX_TEXT_CHARS
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None


def _clean_value(value: object) -> object:
    """A setting's value as JSON keeps it (a tuple is a list), or ValueError."""
    if isinstance(value, list | tuple):
        if len(value) > 64 or not all(_plain(v) for v in value):
            raise ValueError("a list setting holds at most 64 plain values")
        return list(value)
    if not _plain(value):
        raise ValueError(f"{type(value).__name__} is not a setting a link can carry")
    return value


def lesson_key(key: str) -> bool:
    """Whether ``key`` may name a lesson setting in a location (a widget key bound to the
    address, never one of the app's own session keys)."""
    return bool(_KEY.fullmatch(key)) and not key.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class Location:
    """A page and its lesson settings, as a lesson link carries them."""

    page: str
    values: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.page, str) or not _PAGE.fullmatch(self.page):
            raise ValueError(f"not a page of cnnviz: {str(self.page)[:80]!r}")
        if not isinstance(self.values, dict) or len(self.values) > MAX_VALUES:
            raise ValueError(f"a location holds at most {MAX_VALUES} settings")
        clean = {}
        for key, value in self.values.items():
            if not isinstance(key, str) or not lesson_key(key):
                raise ValueError(f"not a lesson setting: {str(key)[:80]!r}")
            clean[key] = _clean_value(value)
        object.__setattr__(self, "values", dict(sorted(clean.items())))

    def encode(self) -> str:
        """The settings as the store keeps them: compact JSON, keys sorted (equal locations
        give equal text, so comparing the text finds a change)."""
        text = json.dumps(self.values, separators=(",", ":"), sort_keys=True, allow_nan=False)
        if len(text) > MAX_JSON_CHARS:
            raise ValueError(f"a location's settings exceed {MAX_JSON_CHARS} characters")
        return text

    @classmethod
    def decode(cls, page: str | None, params: str | None) -> Location | None:
        """A stored location, or None when it is missing or damaged (a bad row never breaks a
        follower's page: it just does not move). Settings longer than any location writes,
        or nested past the parser's depth, are damaged too."""
        if not isinstance(page, str) or not isinstance(params, str | None):
            return None
        if params is not None and len(params) > MAX_JSON_CHARS:
            return None
        try:
            values = json.loads(params or "{}")
            return cls(page, values)
        except (ValueError, TypeError, RecursionError):
            return None


@dataclass(frozen=True)
class Signal:
    """What a follower's page polls: ``seq`` counts the teacher's moves, ``recall`` the times
    they brought everyone to their page."""

    seq: int = 0
    recall: int = 0


@dataclass(frozen=True)
class SeatFollow:
    """One seat's switch as its page last set it, the last recall it obeyed, its own location
    (kept while it follows, given back when it stops)."""

    switched_on: bool = False
    recall_seen: int = 0
    own: Location | None = None

    def follows(self, signal: Signal | None) -> bool:
        """Whether the seat follows: switched on, or called back by a recall not obeyed yet."""
        return self.switched_on or (signal is not None and signal.recall > self.recall_seen)


class Follow:
    """The teacher's location and the seats' following, for one store.

    Args:
        store: the run store (every server process over it sees the same).
        role_check: ``role_check(user)`` re-reads a teacher's role before they lead (a Lock
            in another browser holds at once); default: the role passed is trusted.
    """

    def __init__(self, store: RunStore, role_check: Callable[[C.User], bool] | None = None):
        self.store = store
        self.role_check = role_check

    def _teacher(self, user: C.User) -> None:
        if not user.is_teacher or (self.role_check is not None and not self.role_check(user)):
            raise FollowAccessError("Only the teacher may do this.", "access.teacher")

    # -- the teacher

    def publish(self, user: C.User, class_id: str, location: Location) -> int:
        """Publish the teacher's location when it differs from the stored one; returns the
        new ``seq`` (0: unchanged, nothing written). Raises FollowAccessError for a student."""
        self._teacher(user)
        stored = self.store.follow_location(class_id)
        text = location.encode()
        if stored is not None and (stored[0], stored[1]) == (location.page, text):
            return 0
        return self.store.publish_follow(class_id, location.page, text)

    def bring_everyone(self, user: C.User, class_id: str, location: Location) -> int:
        """'Bring everyone here': publish ``location`` (even unchanged) and count one more
        recall, which every seat follows (:meth:`SeatFollow.follows`). Returns the new
        ``seq``."""
        self._teacher(user)
        return self.store.publish_follow(class_id, location.page, location.encode(), recall=True)

    # -- the followers

    def signal(self, class_id: str) -> Signal | None:
        """``(seq, recall)`` now; None until the teacher has published in this class."""
        got = self.store.follow_signal(class_id)
        return Signal(*got) if got is not None else None

    def teacher_location(self, class_id: str) -> tuple[Location, Signal] | None:
        got = self.store.follow_location(class_id)
        if got is None:
            return None
        location = Location.decode(got[0], got[1])
        if location is None:
            log.warning("class %.40r: the teacher's location is damaged: nobody moves", class_id)
            return None
        return location, Signal(got[2], got[3])

    def seat(self, seat_id: str, class_id: str) -> SeatFollow:
        """A seat's switch. A seat seen for the first time starts off, with the recalls made
        before it came counted as seen (joining late does not pull a student along)."""
        got = self.store.seat_follow(seat_id)
        if got is None:
            signal = self.signal(class_id)
            seen = signal.recall if signal is not None else 0
            self.store.set_seat_follow(seat_id, class_id, False, recall_seen=seen)
            return SeatFollow(False, seen, None)
        following, seen, page, params = got
        return SeatFollow(following, seen, Location.decode(page, params))

    def start(
        self, seat_id: str, class_id: str, own: Location | None, recall_seen: int | None = None
    ) -> tuple[Location, Signal] | None:
        """Switch following on: keep ``own`` (the student's location now) to give back
        later, and return where the teacher is (None: not published yet)."""
        own_row = (own.page, own.encode()) if own is not None else None
        self.store.set_seat_follow(seat_id, class_id, True, recall_seen, own_row)
        return self.teacher_location(class_id)

    def stop(self, seat_id: str, class_id: str) -> Location | None:
        """Switch following off; returns the student's own location to go back to (None:
        they started following before any was kept)."""
        got = self.store.seat_follow(seat_id)
        self.store.set_seat_follow(seat_id, class_id, False)
        return None if got is None else Location.decode(got[2], got[3])

    def obeyed(self, seat_id: str, class_id: str, recall: int) -> None:
        """A recall was followed: remembered, so the same one never moves this seat twice."""
        self.store.set_seat_follow(seat_id, class_id, True, recall_seen=recall)

    def following_count(self, class_id: str) -> int:
        return self.store.following_seats(class_id)
