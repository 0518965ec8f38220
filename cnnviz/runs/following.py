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

from cnnviz.runfile import finite_lenient


class FollowData:
    """The teacher's location per class and the following state per seat."""

    def follow_signal(self, class_id: str) -> tuple[int, int] | None:
        """``(seq, recall)`` of the class's teacher location (None: not published yet): the
        one cheap read a follower's page makes every poll."""
        rows = self._q("SELECT seq, recall FROM class_follow WHERE class_id=?", (class_id,))
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def follow_location(self, class_id: str) -> tuple[str, str, int, int, float] | None:
        """``(page, params JSON, seq, recall, updated)``, or None when the teacher has not
        published a location in this class."""
        rows = self._q(
            "SELECT page, params, seq, recall, updated FROM class_follow WHERE class_id=?",
            (class_id,),
        )
        if not rows:
            return None
        page, params, seq, recall, updated = rows[0]
        return str(page), str(params), int(seq), int(recall), finite_lenient(updated) or 0.0

    def publish_follow(self, class_id: str, page: str, params: str, recall: bool = False) -> int:
        """Write the teacher's location when it differs from the stored one (or always, with
        ``recall``: that also counts one more recall, which every seat that has not obeyed it
        yet follows).
        Returns the new ``seq``, or 0 when nothing changed. One write transaction: two
        processes publishing at once both count."""
        now = self.clock()

        def body(db) -> int:
            row = db.execute(
                "SELECT page, params, seq FROM class_follow WHERE class_id=?", (class_id,)
            ).fetchone()
            if row is not None and (row[0], row[1]) == (page, params) and not recall:
                return 0
            bump = 1 if recall else 0
            db.execute(
                "INSERT INTO class_follow (class_id, page, params, seq, recall, updated)"
                " VALUES (?,?,?,1,?,?) ON CONFLICT(class_id) DO UPDATE SET"
                " page=excluded.page, params=excluded.params, seq=class_follow.seq+1,"
                " recall=class_follow.recall+?, updated=excluded.updated",
                (class_id, page, params, bump, now, bump),
            )
            seq = db.execute("SELECT seq FROM class_follow WHERE class_id=?", (class_id,))
            return int(seq.fetchone()[0])

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
        return bool(following), int(seen or 0), page, params

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
