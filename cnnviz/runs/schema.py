"""The run store's schema: the tables, the migrations from schema 1 and 2 (in place, in one
write transaction), and what an older or newer store is told."""

from __future__ import annotations

import logging

from cnnviz.runs.db import ENV_HOME, StoreError

log = logging.getLogger("cnnviz.runs")
SCHEMA_VERSION = 4
APP_ID = "cnnviz-run-store"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grp TEXT,
    preset TEXT,
    family TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    num_epochs INTEGER NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    notice TEXT,
    device TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_token TEXT,
    heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL,
    examples_per_s REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch)
);
"""
# Schema 2 (this version): who a run belongs to (a browser's identity, not the process that
# trains it), pinned runs, the live curve's points, and what the network learned.
MIGRATE_TO_2 = """
ALTER TABLE runs ADD COLUMN user_id TEXT;
ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS points (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    x REAL NOT NULL,
    loss REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS analysis (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status, owner_token);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    role TEXT NOT NULL DEFAULT 'student',
    role_key TEXT,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
ALTER TABLE runs ADD COLUMN submit_token TEXT;
"""
# One press of Start, one run: the token a submission carries is unique among the runs (an
# older cnnviz leaves the column empty, and NULLs never collide).
SUBMIT_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS runs_by_submit ON runs(submit_token)"
# Schema 3: when a run was imported (NULL: trained here; it replaces a notice text that
# trimming overwrote) and the teacher role's short-lived tokens (kept as hashes).
MIGRATE_TO_3 = """
ALTER TABLE runs ADD COLUMN imported REAL;
CREATE TABLE IF NOT EXISTS teacher_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    role_key TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
"""
# Schema 4: state that several server processes over one store share. Only new tables (each
# CREATE TABLE IF NOT EXISTS), so a store made before all of them gets the missing ones on open.
MIGRATE_TO_4 = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires REAL NOT NULL,
    renewed REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_events (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL,
    value TEXT
);
CREATE INDEX IF NOT EXISTS rate_events_by_key ON rate_events(scope, key, at);
CREATE TABLE IF NOT EXISTS classes (
    class_id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    opened REAL NOT NULL,
    closed REAL,
    show_names INTEGER NOT NULL DEFAULT 0,
    teacher_id TEXT
);
CREATE TABLE IF NOT EXISTS seats (
    seat_id TEXT PRIMARY KEY,
    class_id TEXT NOT NULL REFERENCES classes(class_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    address TEXT NOT NULL,
    joined REAL NOT NULL,
    last_seen REAL NOT NULL,
    page TEXT,
    UNIQUE (class_id, number),
    UNIQUE (class_id, name_key),
    UNIQUE (class_id, user_id)
);
CREATE INDEX IF NOT EXISTS seats_by_user ON seats(user_id);
CREATE INDEX IF NOT EXISTS seats_by_address ON seats(address, joined);
CREATE TABLE IF NOT EXISTS class_experiments (
    experiment_id TEXT PRIMARY KEY,
    class_id TEXT NOT NULL,
    title TEXT NOT NULL,
    field TEXT NOT NULL,
    handout TEXT NOT NULL,
    mode TEXT NOT NULL,
    plan TEXT NOT NULL,
    created REAL NOT NULL,
    ended REAL
);
CREATE TABLE IF NOT EXISTS class_assignments (
    experiment_id TEXT NOT NULL REFERENCES class_experiments(experiment_id) ON DELETE CASCADE,
    seat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    value_index INTEGER NOT NULL,
    run_id TEXT,
    repeat INTEGER,
    assigned REAL NOT NULL,
    PRIMARY KEY (experiment_id, seat_id)
);
CREATE TABLE IF NOT EXISTS class_spotlight (
    class_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    run_id TEXT,
    seat_id TEXT,
    set_by TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS class_follow (
    class_id TEXT PRIMARY KEY,
    page TEXT NOT NULL,
    params TEXT NOT NULL,
    seq INTEGER NOT NULL,
    recall INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seat_follow (
    seat_id TEXT PRIMARY KEY,
    class_id TEXT NOT NULL,
    following INTEGER NOT NULL DEFAULT 0,
    recall_seen INTEGER NOT NULL DEFAULT 0,
    own_page TEXT,
    own_params TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS run_addresses (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seat_keys (
    seat_id TEXT PRIMARY KEY REFERENCES seats(seat_id) ON DELETE CASCADE,
    seat_key TEXT NOT NULL
);
"""
MIGRATIONS = MIGRATE_TO_2 + MIGRATE_TO_3 + MIGRATE_TO_4
MARK_IMPORTED = (  # a schema-2 store knew its imported runs by their notice only
    "UPDATE runs SET imported = COALESCE(finished, created)"
    " WHERE imported IS NULL AND notice LIKE 'Imported from%'"
)
WANTED = {  # every table and index a complete store has, read from the statements above
    stmt.split("IF NOT EXISTS")[1].split()[0]
    for stmt in (SCHEMA + MIGRATIONS + SUBMIT_INDEX).split(";")
    if "IF NOT EXISTS" in stmt
}
NOTE_USER = (
    "INSERT INTO users (user_id, created, last_seen) VALUES (?,?,?)"
    " ON CONFLICT(user_id) DO UPDATE SET last_seen=excluded.last_seen"
)


class Schema:
    """Creating, checking and upgrading the tables."""

    def _check_schema(self) -> None:
        """Create a new store, upgrade a schema-1 store, refuse anything else. Creation and
        upgrade run in one write transaction, so two processes opening a new store at once
        cannot both do it."""
        with self._lock:
            version = self._version()
            if version == SCHEMA_VERSION and self._complete():
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._version()  # another process may have been first
                if version is None:
                    for stmt in (SCHEMA + MIGRATIONS).split(";"):
                        if stmt.strip() and "ADD COLUMN" not in stmt:
                            self._db.execute(stmt)
                    self._add_columns()
                    self._db.executemany(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION))],
                    )
                elif 1 <= version <= SCHEMA_VERSION:  # older, or made before all its tables
                    for stmt in MIGRATIONS.split(";"):
                        if stmt.strip() and "ADD COLUMN" not in stmt:
                            self._db.execute(stmt)
                    self._add_columns()
                    if version < 3:
                        self._db.execute(MARK_IMPORTED)
                    self._db.execute(
                        "UPDATE meta SET value=? WHERE key='schema_version'",
                        (str(SCHEMA_VERSION),),
                    )
                    log.info("run store %s upgraded to schema %d", self.root, SCHEMA_VERSION)
                elif version != SCHEMA_VERSION:
                    self._refuse(version)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _complete(self) -> bool:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        return WANTED <= tables

    def _version(self) -> int | None:
        """The schema version, None for an empty database; refuses a foreign one."""
        tables = {
            r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables:
            return None
        meta = {}
        if "meta" in tables:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != APP_ID:
            raise StoreError(
                f"{self.path} is not a cnnviz run store. Point {ENV_HOME} at an empty "
                "folder or move the file away."
            )
        try:
            return int(meta.get("schema_version", "0"))
        except ValueError:
            return 0

    def _refuse(self, version: int) -> None:
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"The run store in {self.root} comes from an older cnnviz (schema "
                f"{version}, this version needs {SCHEMA_VERSION}). Move the folder away "
                f"(your old runs stay in it) or set {ENV_HOME} to a new folder."
            )
        raise StoreError(
            f"The run store in {self.root} comes from a newer cnnviz (schema {version}, "
            f"this version reads {SCHEMA_VERSION}). Update cnnviz or set {ENV_HOME} "
            "to another folder."
        )

    def _add_columns(self) -> None:
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
        for stmt in MIGRATIONS.split(";"):
            if "ADD COLUMN" in stmt and stmt.split()[5] not in columns:
                self._db.execute(stmt)
        self._db.execute(SUBMIT_INDEX)
