"""The classroom's secrets kept as secrets: a private store (0700 folders, 0600 files), a random
signing key outside the database (a copy of the database forges no cookie), the teacher secret
kept as an HMAC, short-lived teacher tokens that Lock ends, guesses limited across sessions and
addresses and logged, new identities limited per address, no rows for visits, trimming by
arrival with the heaviest owner first; and a schema-2 store migrated in place."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from cnnviz import classroom as C
from cnnviz.features import first_stage_state
from cnnviz.models import PRESETS, build_model
from cnnviz.runs import RunStore
from cnnviz.runs.schema import SCHEMA_VERSION
from cnnviz.train import RunConfig
from conftest import Clock

pytestmark = pytest.mark.unit

FIXTURE = Path(__file__).parent / "fixtures" / "schema2_store"
CFG = RunConfig(PRESETS["LeNet"], num_epochs=1, limit=256, val_limit=128)
SECRET = "open sesame"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_store_is_private(tmp_path):
    store = RunStore(tmp_path / "s")
    rid = store.create(CFG, user="a" * 16, status="running")
    store.save_state_dict(rid, build_model(CFG.spec).state_dict())
    store.save_snapshot(rid, 0, first_stage_state(build_model(CFG.spec)))
    store.secret_key()
    assert mode(store.root) == 0o700 and mode(store.checkpoints) == 0o700
    files = [store.path, store.key_path, *store.checkpoints.iterdir()]
    files += [store.root / "runs.sqlite-wal", store.root / "runs.sqlite-shm"]
    assert len(files) == 6
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    store.close()


def test_an_old_open_store_is_tightened_when_opened(tmp_path):
    root = tmp_path / "old"
    shutil.copytree(FIXTURE, root)
    root.chmod(0o755)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    store = RunStore(root)
    assert mode(root) == 0o700 and mode(root / "checkpoints") == 0o700
    assert all(mode(p) == 0o600 for p in root.rglob("*") if p.is_file() and p.suffix != ".json")
    store.close()


def test_the_key_is_random_and_outside_the_database(tmp_path):
    store = RunStore(tmp_path / "s")
    key = store.secret_key()
    assert len(key) == 32 and key[:16] != key[16:]  # not a uuid written twice
    assert RunStore(store.root).secret_key() == key  # one key per store
    assert RunStore(tmp_path / "other").secret_key() != key
    store.set_user_role("t" * 16, C.TEACHER, SECRET)
    store.close()
    db = (store.root / "runs.sqlite").read_bytes()
    assert key.hex().encode() not in db and key not in db
    assert hashlib.sha256(b"cnnviz-teacher:" + SECRET.encode()).hexdigest().encode() not in db


def test_a_cookie_forged_from_a_copy_of_the_database_fails(tmp_path):
    store = RunStore(tmp_path / "s")
    key = store.secret_key()
    store.set_user_role("t" * 16, C.TEACHER, SECRET)
    token = store.issue_teacher_token("t" * 16, SECRET, 3600)
    store.close()
    # The attacker copies the database (not the key file) and tries everything in it as a key.
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for name in ("runs.sqlite", "runs.sqlite-wal", "runs.sqlite-shm"):
        if (store.root / name).exists():
            shutil.copy(store.root / name, stolen / name)
    db = sqlite3.connect(stolen / "runs.sqlite")
    values = [v for (v,) in db.execute("SELECT value FROM meta")]
    values += [v for row in db.execute("SELECT * FROM users") for v in row if isinstance(v, str)]
    db.close()
    candidates = [bytes.fromhex(v) for v in values if _is_hex(v)] + [v.encode() for v in values]
    candidates.append(RunStore(stolen).secret_key())  # the copy opened as a store: a new key
    for guess in candidates:
        assert guess != key
        assert C.verify(C.sign("t" * 16, guess), key) is None
    assert C.verify(C.sign("t" * 16, key), key) == "t" * 16  # the real key signs, of course
    # the teacher's token is not in the database either: only its hash
    assert token.encode() not in (store.root / "runs.sqlite").read_bytes()


def _is_hex(v: str) -> bool:
    try:
        bytes.fromhex(v)
    except ValueError:
        return False
    return len(v) >= 32


def test_teacher_tokens_are_short_lived_and_lock_ends_them(tmp_path):
    clock = Clock(1_000_000.0)
    store = RunStore(tmp_path / "s", clock=clock)
    t1 = store.issue_teacher_token("t" * 16, SECRET, 3600)
    t2 = store.issue_teacher_token("t" * 16, SECRET, 3600)  # another browser
    assert store.teacher_token_valid(t1, "t" * 16, SECRET)
    assert not store.teacher_token_valid(t1, "a" * 16, SECRET)  # someone else's cookie
    assert not store.teacher_token_valid(t1, "t" * 16, "a new secret")  # the secret changed
    assert not store.teacher_token_valid("forged" + t1, "t" * 16, SECRET)
    clock.t += 3601
    assert not store.teacher_token_valid(t1, "t" * 16, SECRET)  # expired
    clock.t -= 3601
    assert store.revoke_teacher_tokens("t" * 16) == 2  # Lock: both browsers
    assert not store.teacher_token_valid(t2, "t" * 16, SECRET)
    assert store.user_role("t" * 16, SECRET) == C.STUDENT
    store.close()


def test_a_short_secret_is_refused_at_start():
    problem = C.secret_problem("short")
    assert problem is not None and problem.key == "secret.short"
    assert "at least 10" in str(problem)
    assert C.secret_problem(SECRET) is None and C.secret_problem(None) is None


def test_parallel_guesses_are_limited_per_address_and_logged(caplog):
    clock = Clock(1_000_000.0)
    guesses = C.SecretGuesses(per_address=5, overall=20, window_s=600, clock=clock)
    results: list = []

    def guess():
        try:
            results.append(guesses.check("wrong", SECRET, "10.0.0.7"))
        except C.LimitError as exc:
            results.append(exc.key)

    with caplog.at_level(logging.WARNING, logger="cnnviz"):
        threads = [threading.Thread(target=guess) for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results.count(False) == 5 and results.count("secret.guesses") == 25
    logged = [r.getMessage() for r in caplog.records]
    assert sum("wrong guess from 10.0.0.7" in m for m in logged) == 5
    assert sum("refused" in m for m in logged) == 25
    with pytest.raises(C.LimitError):  # even the right secret waits out the window
        guesses.check(SECRET, SECRET, "10.0.0.7")
    assert guesses.check(SECRET, SECRET, "10.0.0.8")  # another address is not blocked
    clock.t += 601
    assert guesses.check(SECRET, SECRET, "10.0.0.7")


def test_parallel_guesses_from_many_addresses_meet_the_overall_limit():
    guesses = C.SecretGuesses(per_address=5, overall=20, window_s=600, clock=Clock(1_000_000.0))
    refused = []

    def guess(i):
        try:
            guesses.check("wrong", SECRET, f"10.0.1.{i}")
        except C.LimitError:
            refused.append(i)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 30


def test_new_identities_are_limited_per_address():
    clock = Clock(1_000_000.0)
    ids = C.NewIdentities(per_hour=3, clock=clock)
    made = [ids.identity("10.0.0.7") for _ in range(5)]
    assert len(set(made)) == 5  # past the limit too: never another browser's identity
    assert ids.made.full("10.0.0.7") and not ids.made.full("10.0.0.8")
    clock.t += 3601
    assert not ids.made.full("10.0.0.7")


def test_a_visit_writes_no_row_and_a_new_identity_counts_as_served(tmp_path):
    clock = Clock(1_000_000.0)
    store = RunStore(tmp_path / "s", clock=clock)
    for i in range(50):  # cookieless visits
        assert store.user_role(f"{i:016x}", SECRET) == C.STUDENT
    assert store.users_count() == 0
    old = store.create(CFG, user="a" * 16, status="running")
    store.set_status(old, "finished")  # Ann was served long ago
    store.create_many([(CFG, "new", None, None)], None, "n" * 16)  # a newcomer acts
    assert store.users_count() == 1
    running, served = store.user_load()
    assert served["n" * 16] >= served["a" * 16]  # the newcomer is not ahead of Ann
    store.close()


def test_trimming_goes_by_arrival_and_the_heaviest_owner_first():
    mb = C.MB
    limits = C.Limits(user_quota_mb=100, store_quota_mb=10, retention_days=14)
    now = 1_000_000.0
    runs = [  # Bob trained two runs here; Ann imported three files dated long ago
        {"run_id": "b1", "user": "bob", "status": "finished", "pinned": False,
         "created": now - 100, "size": 3 * mb},
        {"run_id": "b2", "user": "bob", "status": "finished", "pinned": False,
         "created": now - 90, "size": 3 * mb},
    ] + [
        {"run_id": f"a{i}", "user": "ann", "status": "finished", "pinned": False,
         "created": now - 50 + i, "size": 4 * mb, "imported": True}
        for i in range(3)
    ]  # fmt: skip
    trimmed = dict(C.runs_to_trim(runs, limits, now=now))
    assert set(trimmed) == {"a0", "a1"}  # Ann holds the most: her oldest imports go
    assert all("store is over" in why for why in trimmed.values())


def test_a_schema_2_store_migrates_in_place(tmp_path):
    root = tmp_path / "store"
    shutil.copytree(FIXTURE, root)
    ids = json.loads((root / "fixture.json").read_text())
    old_key = bytes.fromhex(ids["key"])
    store = RunStore(root)
    meta = dict(store._q("SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(SCHEMA_VERSION) and "cookie_key" not in meta
    assert store.secret_key() == old_key  # every browser keeps its identity
    assert C.verify(C.sign("a" * 16, old_key), store.secret_key()) == "a" * 16
    # the teacher's role, kept under the old bare hash, is re-kept under the keyed one
    assert store.user_role("t" * 16, SECRET) == C.TEACHER
    legacy = hashlib.sha256(b"cnnviz-teacher:" + SECRET.encode()).hexdigest()
    assert store._q("SELECT role_key FROM users WHERE user_id=?", ("t" * 16,))[0][0] != legacy
    # nothing users had is lost
    ann = store.get(ids["ann"])
    assert (ann.name, ann.status, ann.user, ann.epochs_done) == ("ann's lenet", "finished",
                                                                 "a" * 16, 2)  # fmt: skip
    assert [m["val_acc"] for m in store.metrics_rows(ids["ann"])] == pytest.approx([0.6, 0.7])
    assert store.points(ids["ann"]) == [(0.5, 1.5), (1.0, 1.2)]
    assert store.snapshot_epochs(ids["ann"]) == [0, 1, 2]
    assert store.load_state_dict(ids["ann"]) is not None
    assert store.load_analysis(ids["ann"]) == {"num_images": 10, "epochs_done": 2}
    assert store.owner(ids["teacher_run"]) == ("t" * 16, True)
    assert store.setting("share_links") == "0"
    # the imported run is known by its column now: its timings are not this machine's
    usage = {r["run_id"]: r for r in store.disk_usage()}
    assert usage[ids["imported"]]["imported"] and not usage[ids["ann"]]["imported"]
    history = store.history(store.get(ids["ann"]).config, "cpu")
    assert history and all(h["examples_per_s"] != 5.0 for h in history)
    store.trim_weights(ids["imported"], "a test")  # the notice is overwritten ...
    assert store.history(store.get(ids["ann"]).config, "cpu") == history  # ... still excluded
    store.close()
    assert RunStore(root).get(ids["ann"]).epochs_done == 2  # opens again as schema 3
