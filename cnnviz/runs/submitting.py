"""Starting runs through the run service: one run, an ablation group, any list of runs, each
as the acting user's and held to the classroom's rules. The pages start runs only here (never
through the manager), so every start is checked the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnviz.classroom import User
    from cnnviz.config import RunConfig


class Submitting:
    """The submitting half of :class:`cnnviz.runs.service.RunService` (a mixin). It uses the
    service's ``manager``, ``check_seated`` and ``_role`` (the role re-read from the store)."""

    def submit(
        self,
        user: User,
        entries,
        estimate_s: float | None = None,
        *,
        submit_token: str | None = None,
        seeds: int = 1,
    ) -> list[str]:
        """Queue runs (config, name, group, preset) as ``user``'s, all or none: the one path by
        which a page starts runs. Held to the class limits
        (:func:`cnnviz.classroom.check_submit`: the queue caps per student, per address and in
        all, the longest run a student may start), with a teacher's role re-read first, and
        while a class is open only from a student's seat. ``submit_token``: one per press of a
        Start button (the same press twice queues once); ``seeds``: a group repeated over
        that many seeds may queue that many times a student's cap.

        Raises:
            ValueError: a run cannot train (the message says why).
            LimitError: a class limit refuses them (nothing was queued).
            ClassError: a class is open and this student has no seat in it.
        """
        if self.manager is None:
            raise RuntimeError("this run service only reads: it was made without a run manager")
        self.check_seated(user)
        return self.manager.submit_many(
            entries, self._role(user), estimate_s, submit_token=submit_token, seeds=seeds
        )

    def submit_run(
        self,
        user: User,
        config: RunConfig,
        name: str | None = None,
        preset: str | None = None,
        estimate_s: float | None = None,
        submit_token: str | None = None,
    ) -> str:
        """Queue one run as ``user``'s (see :meth:`submit`); returns its id."""
        entries = [(config, name, None, preset)]
        return self.submit(user, entries, estimate_s, submit_token=submit_token)[0]

    def submit_group(
        self,
        user: User,
        group,
        mode: str = "classroom",
        seed: int = 0,
        seeds: int = 1,
        estimate_s: float | None = None,
        submit_token: str | None = None,
    ) -> list[str]:
        """Queue every variant of an ablation group (a :class:`cnnviz.ablation.AblationGroup`
        or a built-in group's key) as ``user``'s paired runs, all or none, repeated over
        ``seeds`` seeds (see :func:`cnnviz.ablation.group_entries` and :meth:`submit`).

        Raises:
            GridError: ``seeds`` is out of range.
        """
        from cnnviz import ablation as A

        k = A.check_seeds(seeds)
        entries = A.group_entries(group, mode, seed, k)
        return self.submit(user, entries, estimate_s, submit_token=submit_token, seeds=k)
