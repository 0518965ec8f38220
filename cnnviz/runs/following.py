"""Following the teacher (see :mod:`cnnviz.follow`): where the teacher of a class is, and each
seat's following switch, kept in the store so that every server process over it agrees.

- ``class_follow``: one row per class. The teacher's page and lesson settings (``params``, a
  JSON object), ``seq`` (one more at every move: a follower's page polls this one row) and
  ``recall`` (one more at every "Bring everyone here").
- ``seat_follow``: one row per seat. Whether it follows, the last ``recall`` it obeyed, and
  the student's own page and settings from before following (given back when they stop). A
  seat whose ``recall_seen`` is below its class's ``recall`` follows too: the teacher called
  everyone back, and its page obeys (switching on) when it next polls.
"""

from __future__ import annotations

import logging

from cnnviz.runfile import finite_lenient

log = logging.getLogger("cnnviz.runs")


def _count(value) -> int | None:
    """A count read back from the store (``seq``, ``recall``): a whole number from 0, None for
    anything else (text, a fraction, a number past any count: a damaged row)."""
    number = finite_lenient(value) if not isinstance(value, bytes | bool) else None
    if number is None or number < 0 or number != int(number) or number > 2**62:
        return None
    return int(number)


def _counts(class_id: str, seq, recall) -> tuple[int, int] | None:
    got = _count(seq), _count(recall)
    if None in got:
        log.warning("class %.40r: the teacher's location is damaged (seq %.40r, recall %.40r)",
                    class_id, seq, recall)  # fmt: skip
        return None
    return got


class FollowData:
    """The teacher's location per class and the following state per seat."""

    def follow_signal(self, class_id: str) -> tuple[int, int] | None:
        """``(seq, recall)`` of the class's teacher location (None: not published yet): the
        one cheap read a follower's page makes every poll; a damaged row reads as None too:
        nobody follows it)."""
        rows = self._q("SELECT seq, recall FROM class_follow WHERE class_id=?", (class_id,))
        return _counts(class_id, *rows[0]) if rows else None

    def follow_location(self, class_id: str) -> tuple[str, str, int, int, float] | None:
        """``(page, params JSON, seq, recall, updated)``, or None when the teacher has not
        published a location in this class (or its counts are damaged). The page and the
        settings are text as stored, for :meth:`cnnviz.follow.Location.decode` to check."""
        rows = self._q(
            "SELECT page, params, seq, recall, updated FROM class_follow WHERE class_id=?",
            (class_id,),
        )
        if not rows:
            return None
        page, params, seq, recall, updated = rows[0]
        if (counts := _counts(class_id, seq, recall)) is None:
            return None
        if not isinstance(page, str) or not isinstance(params, str):  # a blob, a number
            log.warning("class %.40r: the teacher's location is not text", class_id)
            return None
        return page, params, *counts, finite_lenient(updated) or 0.0

    def publish_follow(self, class_id: str, page: str, params: str, recall: bool = False) -> int:
        """Write the teacher's location when it differs from the stored one (or always, with
        ``recall``: that also counts one more recall, which every seat that has not obeyed it
        yet follows).
        Returns the new ``seq``, or 0 when nothing changed. One write transaction: two
        processes publishing at once both count."""
        now = self.clock()

        def body(db) -> int:
            row = db.execute(
                "SELECT page, params, seq, recall FROM class_follow WHERE class_id=?",
                (class_id,),
            ).fetchone()
            counts = (0, 0) if row is None else (_count(row[2]), _count(row[3]))
            sound = None not in counts
            if sound and row is not None and (row[0], row[1]) == (page, params) and not recall:
                return 0
            # a damaged count starts again from 0: the followers compare for a change only
            seq, recalls = (c or 0 for c in counts)
            db.execute(
                "INSERT OR REPLACE INTO class_follow (class_id, page, params, seq, recall,"
                " updated) VALUES (?,?,?,?,?,?)",
                (class_id, page, params, seq + 1, recalls + (1 if recall else 0), now),
            )
            return seq + 1

        return self._transaction(body)

    def seat_follow(self, seat_id: str) -> tuple[bool, int, str | None, str | None] | None:
        """``(following, recall seen, own page, own params JSON)`` of a seat; None when the
        seat never switched following on or off."""
        rows = self._q(
            "SELECT following, recall_seen, own_page, own_params FROM seat_follow WHERE seat_id=?",
            (seat_id,),
        )
        if not rows:
            return None
        following, seen, page, params = rows[0]
        text = [v if isinstance(v, str) else None for v in (page, params)]
        return _count(following) == 1, _count(seen) or 0, text[0], text[1]

    def set_seat_follow(
        self,
        seat_id: str,
        class_id: str,
        following: bool,
        recall_seen: int | None = None,
        own: tuple[str, str] | None = None,
    ) -> None:
        """Set a seat's switch; ``recall_seen`` and ``own`` (page, params JSON) only when
        given (the student's own settings are kept while they follow)."""
        now = self.clock()
        page, params = own if own is not None else (None, None)
        self._x(
            "INSERT INTO seat_follow (seat_id, class_id, following, recall_seen, own_page,"
            " own_params, updated) VALUES (?,?,?,?,?,?,?) ON CONFLICT(seat_id) DO UPDATE SET"
            " class_id=excluded.class_id, following=excluded.following,"
            " recall_seen=COALESCE(?, seat_follow.recall_seen),"
            " own_page=COALESCE(?, seat_follow.own_page),"
            " own_params=COALESCE(?, seat_follow.own_params), updated=excluded.updated",
            (seat_id, class_id, int(following), recall_seen or 0, page, params, now,
             recall_seen, page, params),
        )  # fmt: skip

    def following_seats(self, class_id: str) -> int:
        """How many seats of the class follow the teacher now (switched on, or called back by
        a recall their page has not obeyed yet)."""
        rows = self._q(
            "SELECT COUNT(*) FROM seat_follow s LEFT JOIN class_follow c USING (class_id)"
            " WHERE s.class_id=? AND (s.following=1 OR s.recall_seen < COALESCE(c.recall, 0))",
            (class_id,),
        )
        return int(rows[0][0])
