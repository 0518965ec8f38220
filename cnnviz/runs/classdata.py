"""Classroom data (see :mod:`cnnviz.classroom`): the store's key, the class settings, users
and their recorded roles, the teacher role's short-lived tokens, and disk use and trimming."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import uuid

from cnnviz.classroom import same_text
from cnnviz.runfile import (
    finite_lenient,
)
from cnnviz.runs.db import KEY_FILE, StoreError
from cnnviz.runs.schema import NOTE_USER

log = logging.getLogger("cnnviz.runs")

# the notice of a run whose weights were trimmed ({reason}: cnnviz.classroom.TRIM_REASONS)
WEIGHTS_REMOVED = "Its weights were removed ({reason}); its metrics and curves are kept."


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ClassroomData:
    """Keys, settings, users, teacher tokens and disk."""

    def secret_key(self) -> bytes:
        """This store's key for signing browser identities and keeping the teacher secret's
        fingerprint: 32 random bytes (``secrets.token_bytes``) in ``secret.key`` (0600) beside
        the database, never inside it, so a copy of the database forges nothing. Made once;
        two processes making it at once agree on the first."""
        try:
            return bytes.fromhex(self.key_path.read_text().strip())
        except FileNotFoundError:
            pass
        except ValueError as exc:
            raise StoreError(
                f"The store's key {self.key_path} is damaged ({exc}). Remove it: every browser "
                "then gets a new identity, and the teacher unlocks again."
            ) from exc
        self._write_key(secrets.token_bytes(32))
        return bytes.fromhex(self.key_path.read_text().strip())

    def _write_key(self, key: bytes) -> None:
        tmp = self.root / f"{KEY_FILE}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key.hex())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, self.key_path)  # atomic, and never replaces another's key
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)

    def _move_key_out(self) -> None:
        """A store from before schema 3 kept its key in the database: it moves to the key file
        (the identities it signed stay valid) and leaves the database."""
        rows = self._q("SELECT value FROM meta WHERE key='cookie_key'")
        if not rows:
            return
        if not self.key_path.exists():
            self._write_key(bytes.fromhex(rows[0][0]))
        self._x("DELETE FROM meta WHERE key='cookie_key'")
        log.info("run store %s: its signing key moved to %s", self.root, self.key_path)

    def role_key(self, secret: str) -> str:
        """What the store keeps of the teacher secret: an HMAC keyed by the store's key (a
        copy of the database tells nothing about the secret). Changing the secret locks every
        teacher out again."""
        return hmac.new(
            self.secret_key(), b"cnnviz-teacher:" + secret.encode(), "sha256"
        ).hexdigest()

    def setting(self, name: str, default: str | None = None) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key=?", (f"setting:{name}",))
        return rows[0][0] if rows else default

    def set_setting(self, name: str, value: str) -> None:
        self._x("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"setting:{name}", str(value)))

    def user_role(self, user_id: str, secret: str | None) -> str:
        """A user's recorded role: "teacher" only while the secret they unlocked with is still
        the server's ``secret``; else "student". Reads only: a visit writes no row. A role kept
        under the old bare hash (before schema 3) is re-kept under the keyed one."""
        rows = self._q("SELECT role, role_key FROM users WHERE user_id=?", (user_id,))
        if not rows or rows[0][0] != "teacher" or not secret:
            return "student"
        kept = rows[0][1]
        if kept and same_text(kept, self.role_key(secret)):
            return "teacher"
        legacy = hashlib.sha256(b"cnnviz-teacher:" + secret.encode()).hexdigest()
        if kept and same_text(kept, legacy):
            self.set_user_role(user_id, "teacher", secret)
            return "teacher"
        return "student"

    def set_user_role(self, user_id: str, role: str, secret: str | None = None) -> None:
        """Record a user's role (``secret``: the one they unlocked the teacher role with)."""
        now = self.clock()
        key = self.role_key(secret) if secret else None
        self._x(
            "INSERT INTO users (user_id, role, role_key, created, last_seen) VALUES (?,?,?,?,?)"
            " ON CONFLICT(user_id) DO UPDATE SET role=excluded.role, role_key=excluded.role_key",
            (user_id, role, key, now, now),
        )

    def note_user(self, user_id: str) -> None:
        """A visitor who acted (queued or imported a run): their row, made then and only then,
        so cookieless visits cannot grow the table."""
        now = self.clock()
        self._x(NOTE_USER, (user_id, now, now))

    def imported_count(self, user_id: str) -> int:
        """How many imported runs ``user_id`` keeps in this store."""
        rows = self._q(
            "SELECT COUNT(*) FROM runs WHERE user_id=? AND imported IS NOT NULL", (user_id,)
        )
        return int(rows[0][0])

    def users_count(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM users")[0][0])

    def issue_teacher_token(self, user_id: str, secret: str, ttl_s: float) -> str:
        """A new token of the teacher role for ``user_id`` (unlocked with ``secret``), valid for
        ``ttl_s`` seconds or until :meth:`revoke_teacher_tokens`; only its hash is kept."""
        token = secrets.token_urlsafe(24)
        now = self.clock()
        self._x("DELETE FROM teacher_tokens WHERE expires < ?", (now,))
        self._x(
            "INSERT INTO teacher_tokens VALUES (?,?,?,?,?)",
            (_token_hash(token), user_id, self.role_key(secret), now, now + ttl_s),
        )
        self.set_user_role(user_id, "teacher", secret)
        return token

    def teacher_token_valid(self, token: str | None, user_id: str, secret: str | None) -> bool:
        """Whether ``token`` holds the teacher role for ``user_id`` now: issued to them, not
        expired, not revoked, and under the server's current ``secret``."""
        if not token or not secret or len(token) > 100:
            return False
        rows = self._q(
            "SELECT user_id, role_key, expires FROM teacher_tokens WHERE token_hash=?",
            (_token_hash(token),),
        )
        if not rows:
            return False
        owner, key, expires = rows[0]
        fresh = (finite_lenient(expires) or 0.0) > self.clock()
        return owner == user_id and fresh and same_text(key, self.role_key(secret))

    def revoke_teacher_tokens(self, user_id: str) -> int:
        """Lock: every token of ``user_id`` ends (every browser and session holding one is a
        student at its next action); the recorded role too. Returns how many ended."""
        n = self._x("DELETE FROM teacher_tokens WHERE user_id=?", (user_id,))
        self.set_user_role(user_id, "student")
        return n

    def disk_usage(self) -> list[dict]:
        """Every run with its owner, the owner's role, status, pin, when it came into this
        store (``created``: an import's arrival, not the date its file carries), whether it was
        imported, and bytes on disk."""
        rows = self._q(
            "SELECT r.run_id, r.user_id, u.role, r.status, r.pinned,"
            " COALESCE(r.imported, r.created), r.imported IS NOT NULL"
            " FROM runs r LEFT JOIN users u ON u.user_id = r.user_id"
        )
        return [
            {"run_id": rid, "user": user, "role": role, "status": status,
             "pinned": bool(pinned), "created": finite_lenient(created) or 0.0,
             "imported": bool(imported), "size": self.files.size(rid)}
            for rid, user, role, status, pinned, created, imported in rows
        ]  # fmt: skip

    def trim_weights(self, run_id: str, reason: str) -> int:
        """Remove a run's weights (its metrics, curves and first-layer snapshots stay); says so
        on the run. Returns the bytes freed."""
        path = self.checkpoint_path(run_id)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        # The notice first: a process that ends between the two leaves a run that says its
        # weights went while the file is still there (trimmed again next time), never weights
        # gone without a word.
        self._x(
            "UPDATE runs SET notice=? WHERE run_id=?",
            (WEIGHTS_REMOVED.format(reason=reason), run_id),
        )
        path.unlink(missing_ok=True)
        log.info("run %s: weights removed (%s)", run_id, reason)
        return size
