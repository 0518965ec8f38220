"""The runs as one user may see and touch them: every read and every action names the acting
user, and the classroom's rules (:mod:`cnnviz.classroom`) are checked here, once, for every
caller (the pages, the builder's weights picker, the ablation lab, the insight page, the CLI).

- **View.** The teacher sees every run. A student sees their own runs, the runs pinned for the
  class and the class's own (no owner: the CLI, a teacher's import); another student's run
  only by its id, and only while the teacher allows opening runs by link.
- **Control.** A run's owner and the teacher may stop and delete it; only the teacher pins.
- **Import.** A file whose run is already here under an owner the importer may not see is
  imported as the importer's own copy, under an id of its own: the other run is never shown.

A refused call raises :class:`RunAccessError` (a keyed error: pages show it in their language).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cnnviz import classroom as C
from cnnviz.errors import KeyedError
from cnnviz.runs.metrics import RunSummary
from cnnviz.runs.run_files import RunFiles
from cnnviz.runs.seating import join_first
from cnnviz.runs.store import LIVE, RunNotFoundError, RunRecord
from cnnviz.runs.submitting import Submitting

if TYPE_CHECKING:
    from cnnviz.runs.manager import RunManager
    from cnnviz.runs.store import RunStore

SHARE_LINKS = "share_links"  # the teacher's switch: students may open others' runs by link


class RunAccessError(KeyedError, PermissionError):
    """The acting user may not see or change this run; the message says which and why."""


class RunService(Submitting, RunFiles):
    """The run manager's runs through the classroom's rules.

    Args:
        manager: the server's (or the CLI's) run manager (None: reading and the class
            settings only, on ``store``).
        role_check: ``role_check(user)`` re-reads a user's role from where it is kept (the
            store) before a teacher's privileged action and before every read that only the
            teacher's role allows: a role revoked in another browser holds at once, in a
            page's fragment or download made with the role it had when drawn too. It may be
            called outside any page run (a download is made when clicked). Default: the role
            the caller passes is trusted (the CLI).
    """

    def __init__(self, manager: RunManager | None, role_check=None, store: RunStore | None = None):
        self.manager = manager
        self.store = store if store is not None else manager.store
        self.role_check = role_check

    # -- the rules ----------------------------------------------------------------------------
    def share_links(self) -> bool:
        """Whether students may open other students' runs by link (the teacher's switch)."""
        return self.store.setting(SHARE_LINKS, "1") == "1"

    def set_share_links(self, user: C.User, on: bool) -> None:
        self._teacher(user)
        self.store.set_setting(SHARE_LINKS, "1" if on else "0")

    def _role(self, user: C.User) -> C.User:
        """``user`` with the role the store holds now (only a teacher's is re-read)."""
        if user.is_teacher and self.role_check is not None and not self.role_check(user):
            return C.User(user.id, C.STUDENT, user.address)
        return user

    def _owner(self, run_id: str) -> tuple[str | None, bool]:
        return self.store.owner(run_id)  # RunNotFoundError when there is none

    def may_view(self, user: C.User, run_id: str) -> bool:
        try:
            owner, pinned = self._owner(run_id)
        except RunNotFoundError:
            return False
        if owner in (None, user.id) or pinned:
            return True
        return C.can_view(self._role(user), owner, pinned, self.share_links())

    def _listed(self, user: C.User, run_id: str) -> bool:
        """Whether the run is in ``user``'s own list (not merely open to them by link)."""
        owner, pinned = self._owner(run_id)
        return owner in (None, user.id) or pinned or self._role(user).is_teacher

    def may_control(self, user: C.User, run_id: str) -> bool:
        """Stop or delete: its owner, or the teacher (re-read from the store)."""
        try:
            owner = self._owner(run_id)[0]
        except RunNotFoundError:
            return False
        if owner is not None and owner == user.id:
            return True
        return C.can_control(self._role(user), owner)

    def may_pin(self, user: C.User) -> bool:
        return self._role(user).is_teacher

    def check_view(self, user: C.User, run_id: str) -> None:
        """Raise unless ``user`` may see the run.

        Raises:
            RunNotFoundError: there is no such run.
            RunAccessError: it is another student's, and opening runs by link is off.
        """
        if not self.may_view(user, run_id):
            if not self.store.exists(run_id):
                raise RunNotFoundError(run_id)
            raise RunAccessError(
                f"Run {run_id} belongs to another student, and the teacher has turned off "
                "opening other students' runs by link.",
                "access.hidden", run_id=run_id,
            )  # fmt: skip

    def _check_control(self, user: C.User, run_id: str) -> None:
        self.check_view(user, run_id)
        if not self.may_control(user, run_id):
            raise RunAccessError(
                f"Run {run_id} is another student's: only its owner or the teacher may stop "
                "or delete it.",
                "access.control", run_id=run_id,
            )  # fmt: skip

    def check_seated(self, user: C.User) -> None:
        """While a class is open, a student starts and imports runs only from a seat (the
        limits count seats: a cleared cookie buys no new share, see :mod:`cnnviz.classes`).

        Raises:
            ClassError: a class is open and this student has not joined it.
        """
        if not self._role(user).is_teacher and self.store.needs_seat(user.id):
            raise join_first()

    def _teacher(self, user: C.User) -> None:
        if not self._role(user).is_teacher:
            raise RunAccessError("Only the teacher may do this.", "access.teacher")

    # -- reading ------------------------------------------------------------------------------
    def list_runs(self, user: C.User) -> list[RunSummary]:
        """The runs ``user`` may list, newest first: every run for the teacher; for a student
        their own runs first, then those pinned for the class and the class's own."""
        runs = self.store.list_runs()
        if self._role(user).is_teacher:
            return runs
        mine = [r for r in runs if r.user == user.id]
        shared = [r for r in runs if r.user != user.id and (r.pinned or r.user is None)]
        return mine + shared

    def listed(self, user: C.User, run_id: str) -> RunSummary:
        """The listing of one run ``user`` may see (e.g. opened by link).

        Raises:
            RunNotFoundError: there is no such run (or it was deleted meanwhile).
            RunAccessError: it is not ``user``'s to see.
        """
        self.check_view(user, run_id)
        for r in self.store.list_runs():
            if r.run_id == run_id:
                return r
        raise RunNotFoundError(run_id)

    def exists(self, user: C.User, run_id: str) -> bool:
        """Whether there is a run with this id that ``user`` may see."""
        return self.may_view(user, run_id)

    def get(self, user: C.User, run_id: str) -> RunRecord:
        self.check_view(user, run_id)
        return self.store.get(run_id)

    def status(self, user: C.User, run_id: str) -> str:
        self.check_view(user, run_id)
        return self.store.status(run_id)

    def owner(self, user: C.User, run_id: str) -> tuple[str | None, bool]:
        self.check_view(user, run_id)
        return self._owner(run_id)

    def metrics(self, user: C.User, run_id: str) -> list[dict]:
        """One dict per finished epoch, oldest first (a missing value None); a page that shows
        or downloads them as a table builds it (:func:`cnnviz.frames.metrics_table`)."""
        self.check_view(user, run_id)
        return self.store.metrics_rows(run_id)

    def points(self, user: C.User, run_id: str) -> list[tuple[float, float]]:
        self.check_view(user, run_id)
        return self.store.points(run_id)

    def progress(self, user: C.User, run_id: str) -> dict | None:
        self.check_view(user, run_id)
        return self.store.stored_progress(run_id)

    def compare(self, user: C.User, run_ids: Iterable[str]) -> list[RunRecord]:
        """The runs of a comparison, in order; refused as a whole when one is not ``user``'s to
        see (ids come from the browser: none is trusted)."""
        ids = list(dict.fromkeys(run_ids))
        for rid in ids:
            self.check_view(user, rid)
        return [self.store.get(rid) for rid in ids]

    def finished_like(self, user: C.User, family: str, same) -> list[RunSummary]:
        """Finished runs of ``family`` that ``user`` may see and whose network ``same(spec)``
        accepts: the builder's trained-weights picker."""
        from cnnviz.runs.store import RunDamagedError

        out = []
        for row in self.list_runs(user):
            if row.status != "finished" or row.family != family:
                continue
            try:
                spec = self.store.get(row.run_id).config.spec
            except (RunNotFoundError, RunDamagedError):
                continue
            if same(spec):
                out.append(row)
        return out

    # -- acting -------------------------------------------------------------------------------
    def stop(self, user: C.User, run_id: str) -> None:
        self._check_control(user, run_id)
        self.manager.stop(run_id)

    def stop_live(self, user: C.User, run_ids: Iterable[str]) -> list[str]:
        """Stop those of ``run_ids`` that are live and ``user``'s to stop; returns them."""
        stopped = []
        for rid in run_ids:
            if self.may_control(user, rid) and self.store.status(rid) in LIVE:
                self.manager.stop(rid)
                stopped.append(rid)
        return stopped

    def delete(self, user: C.User, run_id: str, timeout: float = 10.0) -> None:
        self._check_control(user, run_id)
        self.manager.delete(run_id, timeout)

    def pin(self, user: C.User, run_id: str, pinned: bool) -> None:
        self.check_view(user, run_id)
        self._teacher(user)
        self.store.set_pinned(run_id, pinned)

    def import_run(self, user: C.User, data: bytes, name: str = "upload") -> tuple[str, bool]:
        """Import a run file as ``user``'s run (see :meth:`RunStore.import_run`); returns
        (run_id, added). When the file's run is already here and ``user`` may see it, that run
        (added False). When it is here but not in ``user``'s list (another student's, even one
        open by link), the file comes in as
        ``user``'s own copy under an id of its own (one per file and user): nothing of the
        other run is shown, and importing the file again finds the copy.

        Raises:
            RunFileError: the file is not a cnnviz run, or is damaged; nothing was written.
        """
        from cnnviz.runfile import read_run_file

        owner = None if user.id == C.OPERATOR.id else user.id
        run = read_run_file(data, name)
        if owner is not None and not self._role(user).is_teacher:
            self.check_seated(user)
            most = (
                self.manager.limits if self.manager else C.Limits.from_env()
            ).max_imports_per_user
            if self.store.imported_count(owner) >= most and not (
                self.store.exists(run.run_id) and self._listed(user, run.run_id)
            ):
                raise C.LimitError(
                    f"You keep {most} imported runs, the most a student may: delete one "
                    "before importing another.",
                    "limit.imports", most=most,
                )  # fmt: skip
            self.store.note_user(owner)
        if not (self.store.exists(run.run_id) and not self._listed(user, run.run_id)):
            run_id, added = self.store.import_run(data, name, owner, run=run)
            if added or self._listed(user, run_id):
                return run_id, added
            # another import of this run (another browser, another process) landed first,
            # under an owner this user may not see: this user's own copy after all
        copy = hashlib.sha256(f"{run.run_id}:{user.id}".encode()).hexdigest()[:10]
        return self.store.import_run(data, name, owner, run_id=copy, run=run)
