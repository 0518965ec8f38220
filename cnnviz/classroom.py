"""One server, a class of students: who is who, what each may do, and the limits that keep the
queue fair and the disk from filling (cnnviz goes beyond the book here: d2l trains alone).

Plain data and functions, no Streamlit: the pages ask them, the tests call them.

- **Identity.** Each browser gets a random id, kept in a cookie signed with the store's own key
  (so a student cannot write someone else's id into it). A shared lesson or run link carries no
  identity.
- **Roles.** Everyone is a student until they unlock the teacher role with the secret the
  server was given (``$CNNVIZ_TEACHER_SECRET`` or ``teacher_secret`` under ``[cnnviz]`` in
  ``.streamlit/secrets.toml``; never in a URL). A student controls (stops, deletes) only their
  own runs; the teacher controls every run, pins runs for the class, and is exempt from the
  limits below.
- **Limits** (:class:`Limits`, from the environment through :mod:`cnnviz.config`): runs
  training at once per student and per client address, runs queued per student, per client
  address (every browser there: a new cookie buys no new share) and in all, the longest run a
  student may start on this machine, disk per student and per store, and how long an old student run
  keeps its weights. None of them may be 0: a class where no student's run could ever start is
  refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from cnnviz.config import SETTINGS, setting
from cnnviz.errors import KeyedError

log = logging.getLogger("cnnviz")

STUDENT, TEACHER = "student", "teacher"
ENV_SECRET = "CNNVIZ_TEACHER_SECRET"
COOKIE = "cnnviz_id"
MIN_SECRET_CHARS = 10
MB = 2**20
# Why a run's weights are trimmed (runs_to_trim): the reason its notice quotes.
TRIM_OLD = "older than {days} days"
TRIM_USER_QUOTA = "its owner is over their {mb:,} MB quota"
TRIM_STORE_QUOTA = "the store is over its {mb:,} MB quota"
TRIM_REASONS = {
    "reason.trim_old": TRIM_OLD,
    "reason.trim_user_quota": TRIM_USER_QUOTA,
    "reason.trim_store_quota": TRIM_STORE_QUOTA,
}


def _default(name: str) -> int:
    return SETTINGS[f"CNNVIZ_{name.upper()}"].default


@dataclass(frozen=True)
class Limits:
    """What one student may do at once. Every value can be set by an environment variable
    (``CNNVIZ_`` + the upper-case name, e.g. ``CNNVIZ_MAX_QUEUED_PER_USER=6``); the defaults
    and ranges are those of :data:`cnnviz.config.SETTINGS`.

    Raises:
        ValueError: a value outside its range (0 running runs per student: no student's run
            would ever start).
    """

    max_running_per_user: int = _default("max_running_per_user")
    max_queued_per_user: int = _default("max_queued_per_user")  # an ablation group and one more
    max_queued: int = _default("max_queued")
    max_queued_per_address: int = _default("max_queued_per_address")  # every browser there
    max_running_per_address: int = _default("max_running_per_address")  # a class behind a NAT
    student_max_run_s: int = _default("student_max_run_s")  # on this machine, by the estimate
    user_quota_mb: int = _default("user_quota_mb")
    store_quota_mb: int = _default("store_quota_mb")
    retention_days: int = _default("retention_days")  # older student weights go (metrics stay)
    max_imports_per_user: int = _default("max_imports_per_user")

    def __post_init__(self) -> None:
        for f in fields(self):
            s, value = SETTINGS[f"CNNVIZ_{f.name.upper()}"], getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{f.name} must be a whole number, not {value!r}")
            if not s.low <= value <= s.high:
                raise ValueError(
                    f"{f.name} must be from {s.low:,} to {s.high:,} ({s.help}), not {value:,}"
                )

    @classmethod
    def from_env(cls) -> Limits:
        """From ``CNNVIZ_MAX_RUNNING_PER_USER`` etc.; a bad value is logged once and its
        default used (:func:`cnnviz.config.setting`)."""
        return cls(**{f.name: setting(f"CNNVIZ_{f.name.upper()}") for f in fields(cls)})


class LimitError(KeyedError, ValueError):
    """A run a student may not start now; the message says why and what to do."""


@dataclass(frozen=True)
class User:
    """Who is using this browser: an id, a role, and a short name to show. ``address``: the
    client address the browser came from (None: unknown, the CLI, scripts); it is not part of
    who the user is, only where the per-address limits count them."""

    id: str
    role: str = STUDENT
    address: str | None = field(default=None, compare=False)

    @property
    def is_teacher(self) -> bool:
        return self.role == TEACHER

    @property
    def label(self) -> str:
        return "teacher" if self.is_teacher else f"student {self.id[:4]}"


OPERATOR = User("operator", TEACHER)  # whoever runs the command line on the server itself


# -- identity ------------------------------------------------------------------------------


def new_user_id() -> str:
    return secrets.token_hex(8)


def sign(user_id: str, key: bytes) -> str:
    """The cookie value: the id and its signature with the store's key."""
    mac = hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{mac}"


def verify(cookie: str | None, key: bytes) -> str | None:
    """The id in a cookie signed with ``key``, else None (absent, damaged or forged)."""
    if not cookie or cookie.count(".") != 1:
        return None
    user_id, mac = cookie.split(".")
    if not (0 < len(user_id) <= 32 and user_id.isalnum() and user_id.isascii()):
        return None
    return user_id if same_text(sign(user_id, key), cookie) else None


def same_text(given, kept) -> bool:
    """Whether two secrets (a cookie's signature, a typed key, a kept hash) are equal, in
    constant time. Any text compares: a browser may send letters outside ASCII (which
    ``hmac.compare_digest`` refuses on ``str``) or a lone surrogate, and a damaged store row
    may hold a number; those are simply not equal."""
    if not isinstance(given, str) or not isinstance(kept, str):
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), kept.encode("utf-8", "surrogatepass")
    )


def teacher_secret(secrets_section: dict | None = None) -> str | None:
    """The configured teacher secret: ``$CNNVIZ_TEACHER_SECRET``, else ``teacher_secret`` in
    the ``[cnnviz]`` section of Streamlit's secrets; None when no teacher role is set up."""
    value = setting(ENV_SECRET) or (secrets_section or {}).get("teacher_secret")
    return str(value) if value else None


def secret_problem(secret: str | None) -> KeyedError | None:
    """Why the configured teacher secret cannot be used (too short to resist guessing), else
    None. Checked when the server starts: the teacher role stays off until it is fixed."""
    if secret is not None and len(secret) < MIN_SECRET_CHARS:
        return KeyedError(
            f"The teacher secret ({ENV_SECRET}) has {len(secret)} characters; it needs at "
            f"least {MIN_SECRET_CHARS}. The teacher role stays off until it is longer.",
            "secret.short", n=len(secret), most=MIN_SECRET_CHARS,
        )  # fmt: skip
    return None


def check_secret(given: str, secret: str | None) -> bool:
    return bool(secret) and same_text(given, secret)


class Attempts:
    """Counts events per key in a sliding window (thread-safe; ``clock`` settable in tests)."""

    def __init__(self, most: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.most, self.window_s, self.clock = most, window_s, clock
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque:
        q = self._seen.setdefault(key, deque())
        while q and q[0] <= self.clock() - self.window_s:
            q.popleft()
        return q

    def full(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.most

    def add(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self.clock())
            if len(self._seen) > 10_000:  # forget keys with nothing recent
                self._seen = {k: q for k, q in self._seen.items() if self._recent(k)}

    def wait_s(self, key: str) -> float:
        with self._lock:
            q = self._recent(key)
            return max(0.0, q[0] + self.window_s - self.clock()) if q else 0.0


GUESSES, IDENTITIES = "secret-guess", "new-identity"  # their events' scopes in a store


class SecretGuesses:
    """Wrong guesses of the teacher secret, limited across every session of the server: at
    most ``per_address`` per client address and ``overall`` in all per ``window_s``; past
    either limit a guess is refused unchecked. Every wrong guess is logged with its address.

    ``store`` (a run store): the guesses are counted there, so every server process over it
    counts them together (a second process is no second share of guesses); without one, in
    this process's memory."""

    def __init__(
        self,
        per_address: int = 5,
        overall: int = 20,
        window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        store=None,
    ):
        self.by_address = Attempts(per_address, window_s, clock)
        self.overall = Attempts(overall, window_s, clock)
        self.store = store
        self._lock = threading.Lock()

    def _refused(self, address: str, wait_s: float) -> LimitError:
        wait = max(1, round(wait_s))
        log.warning("teacher secret: guess from %s refused (too many)", address)
        return LimitError(
            f"Too many wrong guesses of the teacher secret; try again in {wait} s.",
            "secret.guesses", s=wait,
        )  # fmt: skip

    def check(self, given: str, secret: str | None, address: str) -> bool:
        """Whether ``given`` is the secret.

        Raises:
            LimitError: too many wrong guesses lately (from this address, or in all).
        """
        if self.store is not None:  # counted first, in one transaction; a right one uncounted
            limits = [(str(address), self.by_address.most), ("*", self.overall.most)]
            taken, wait = self.store.take_attempt(GUESSES, limits, self.by_address.window_s)
            if not taken:
                raise self._refused(address, wait)
            if check_secret(given, secret):
                self.store.forget_attempt(taken)
                return True
            log.warning("teacher secret: wrong guess from %s", address)
            return False
        with self._lock:  # the check and the count as one: parallel guesses cannot slip by
            for limit, key in ((self.by_address, address), (self.overall, "*")):
                if limit.full(key):
                    raise self._refused(address, limit.wait_s(key))
            if check_secret(given, secret):
                return True
            self.by_address.add(address)
            self.overall.add("*")
        log.warning("teacher secret: wrong guess from %s", address)
        return False


class NewIdentities:
    """New browser identities per client address and hour. Every browser without a cookie gets
    an identity of its own, never one handed out before (two browsers sharing one would see
    and stop each other's runs). Past ``per_hour`` from one address the new identity is logged:
    clearing the cookie still buys no new share of the class, because a new identity counts as
    served when it first acts and the per-address caps (queued and training) hold for every
    browser there. The default fits a class behind one address (a NAT). ``store``: counted
    there, by every server process over it together (else in this process's memory)."""

    def __init__(self, per_hour: int = 60, clock: Callable[[], float] = time.monotonic, store=None):
        self.made = Attempts(per_hour, 3600.0, clock)
        self.store = store
        self._lock = threading.Lock()

    def identity(self, address: str) -> str:
        """A new identity for a browser at ``address`` (logged past the hour's count). While
        the store cannot be written (another program holding it past its wait, a full disk, a
        read-only folder) it is counted in this process: the count only feeds the log line, so
        the browser still gets its pages, and each says what it cannot do meanwhile."""
        from cnnviz.runs.db import StoreError

        counted = False
        if self.store is not None:
            made = self.made
            try:
                uid, over = self.store.count_new(
                    IDENTITIES, str(address), made.most, made.window_s, new_user_id
                )
                counted = True
            except StoreError as exc:
                log.warning("a new identity is counted in this process only: %s", exc)
        if not counted:
            with self._lock:
                over = self.made.full(address)
                self.made.add(address)
                uid = new_user_id()
        if over:
            log.warning("new identities from %s: more than %d this hour", address, self.made.most)
        return uid


# -- who may do what -------------------------------------------------------------------------


def can_control(user: User, owner: str | None) -> bool:
    """Stop or delete a run: its owner, or the teacher."""
    return user.is_teacher or (owner is not None and owner == user.id)


def can_view(user: User, owner: str | None, pinned: bool, share_links: bool) -> bool:
    """See a run: your own, a pinned one, anyone's when the teacher allows shared links (runs
    without an owner — from the CLI or an import — are the class's)."""
    return user.is_teacher or owner in (None, user.id) or pinned or share_links


def check_submit(
    user: User,
    n_runs: int,
    queued_by_user: int,
    queued_total: int,
    estimate_s: float | None,
    limits: Limits,
    device: str = "cpu",
    seeds: int = 1,
    queued_by_address: int | None = None,
) -> None:
    """Raise :class:`LimitError` when ``user`` may not queue ``n_runs`` more runs now.

    Args:
        queued_by_user / queued_total: runs waiting now (the user's, everyone's).
        queued_by_address: runs waiting now of every student seen at the user's client
            address (None: the address is unknown, and that limit does not apply).
        estimate_s: the longest of the new runs, estimated on this machine (None: unknown).
        seeds: the new runs are a group repeated over this many seeds: the student's cap is
            that many times the usual one (the class's cap stays).
    """
    if user.is_teacher:
        return
    most = limits.max_queued_per_user * max(1, int(seeds))
    if queued_by_user + n_runs > most:
        raise LimitError(
            f"You have {queued_by_user} run(s) waiting; a student may queue at most "
            f"{most} at a time. Stop one, or wait for them to start.",
            "limit.user_queue", n=queued_by_user, most=most,
        )  # fmt: skip
    most = limits.max_queued_per_address * max(1, int(seeds))
    if queued_by_address is not None and queued_by_address + n_runs > most:
        raise LimitError(
            f"The students at your network address have {queued_by_address} run(s) waiting; "
            f"together they may queue at most {most}. Wait for some to start.",
            "limit.address_queue", n=queued_by_address, most=most,
        )  # fmt: skip
    if queued_total + n_runs > limits.max_queued:
        raise LimitError(
            f"The class queue is full ({queued_total} runs waiting, at most "
            f"{limits.max_queued}). Try again when some have started.",
            "limit.class_queue", n=queued_total, most=limits.max_queued,
        )  # fmt: skip
    if estimate_s is not None and estimate_s > limits.student_max_run_s:
        raise LimitError(
            f"This run would take about {estimate_s / 60:.0f} min on this {device.upper()} "
            f"(students may start runs of up to {limits.student_max_run_s / 60:.0f} min). "
            "Choose fewer training examples or epochs, or a smaller input; the teacher can "
            "launch full-size runs.",
            "limit.too_long", min=round(estimate_s / 60), device=device.upper(),
            most=round(limits.student_max_run_s / 60),
        )  # fmt: skip


# -- disk ------------------------------------------------------------------------------------


def runs_to_trim(
    runs: list[dict], limits: Limits, now: float | None = None
) -> list[tuple[str, str]]:
    """Which runs lose their weights (their metrics and curves stay), and why.

    ``runs``: dicts with run_id, user, role (of the owner), status, pinned, created (when the
    run came into this store: an import's arrival, never the date its file carries), size
    (bytes). Retention: a student's ended, unpinned run older than ``retention_days``. Quotas:
    a student over ``user_quota_mb`` loses their oldest ended, unpinned runs' weights first;
    then, while the store is over ``store_quota_mb``, whoever holds the most bytes loses their
    oldest first, so one student's imports never cost another student's weights first. Live
    and pinned runs, and the teacher's, are never trimmed.
    """
    now = time.time() if now is None else now
    trimmable = [
        r
        for r in runs
        if r["size"] > 0
        and r["status"] not in ("queued", "running")
        and not r["pinned"]
        and r.get("role") != TEACHER
    ]
    trimmable.sort(key=lambda r: r["created"])
    out: dict[str, str] = {}
    horizon = now - limits.retention_days * 86_400
    for r in trimmable:
        if r["created"] < horizon:
            out[r["run_id"]] = TRIM_OLD.format(days=limits.retention_days)
    per_user: dict[str | None, int] = {}
    for r in runs:
        if r["run_id"] not in out:
            per_user[r.get("user")] = per_user.get(r.get("user"), 0) + r["size"]
    for r in trimmable:
        user = r.get("user")
        if r["run_id"] in out or user is None:
            continue
        if per_user[user] > limits.user_quota_mb * MB:
            out[r["run_id"]] = TRIM_USER_QUOTA.format(mb=limits.user_quota_mb)
            per_user[user] -= r["size"]
    total = sum(r["size"] for r in runs if r["run_id"] not in out)
    left = [r for r in trimmable if r["run_id"] not in out]  # oldest first
    while total > limits.store_quota_mb * MB and left:
        owners = sorted({r.get("user") for r in left}, key=str)  # a tie: the same one each time
        heaviest = max(owners, key=lambda u: per_user.get(u, 0))
        r = next(r for r in left if r.get("user") == heaviest)
        left.remove(r)
        out[r["run_id"]] = TRIM_STORE_QUOTA.format(mb=limits.store_quota_mb)
        total -= r["size"]
        per_user[heaviest] = per_user.get(heaviest, 0) - r["size"]
    return list(out.items())
