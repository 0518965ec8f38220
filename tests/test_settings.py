"""Settings from the environment: every CNNVIZ_* variable is parsed in one place
(cnnviz.config) with its type and range. A hostile value gives one log line and the stated
default, never a traceback, and no setting can make a class whose runs never start."""

from __future__ import annotations

import logging

import pytest

from cnnviz import config as cfg
from cnnviz.classroom import Limits, teacher_secret

pytestmark = pytest.mark.unit

NUMBERS = [name for name, s in cfg.SETTINGS.items() if s.kind in ("int", "float")]
INTS = [name for name, s in cfg.SETTINGS.items() if s.kind == "int"]
BOOLS = [name for name, s in cfg.SETTINGS.items() if s.kind == "bool"]
TEXTS = [name for name, s in cfg.SETTINGS.items() if s.kind in ("path", "text", "secret")]

# str.isdigit() says yes and int() says no (or gives a number nobody typed), too long to
# convert, negative, fractions, typos, non-finite, separators, NUL, control characters
HOSTILE_NUMBERS = [
    "²", "³", "١٢", "߁", "①", "9" * 5_000, "9" * 40, "-1", "-0.5", "1e3", "1E-2", "0x10",
    "1_000", "4o", "l0", "nan", "inf", "-inf", "1,5", "1 2", "+", ".", "..1", "\u200b1",
    "１２", "1\u200b",
]  # fmt: skip
HOSTILE_BOOLS = ["2", "-1", "tru", "yes please", "١", "²", "oui", "0.0", "1" * 5_000]
HOSTILE_TEXTS = ["x" * 5_000, "bad\udcffutf8"]
HOSTILE_CHOICES = ["proces", "threads", "thread,process", "²", "x" * 5_000]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No CNNVIZ_ variable but the test's own; each refusal logged afresh."""
    import os

    for name in list(os.environ):
        if name.startswith("CNNVIZ_") and name != "CNNVIZ_HOME":
            monkeypatch.delenv(name)
    cfg._reported.clear()
    cfg._cache.clear()
    yield
    cfg._reported.clear()
    cfg._cache.clear()


def _refusals(caplog, name: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "cnnviz.config" and r.levelno == logging.WARNING and name in r.getMessage()
    ]


class TestHostileValues:
    """Every setting × values that must be refused: the default, and exactly one log line
    that names the setting and the default used, however often the setting is read."""

    @pytest.mark.parametrize("value", HOSTILE_NUMBERS)
    @pytest.mark.parametrize("name", NUMBERS)
    def test_numbers(self, name, value, monkeypatch, caplog):
        self._check(name, value, monkeypatch, caplog)

    @pytest.mark.parametrize("value", HOSTILE_BOOLS)
    @pytest.mark.parametrize("name", BOOLS)
    def test_switches(self, name, value, monkeypatch, caplog):
        self._check(name, value, monkeypatch, caplog)

    @pytest.mark.parametrize("value", HOSTILE_TEXTS)
    @pytest.mark.parametrize("name", [n for n in TEXTS if n != "CNNVIZ_HOME"])
    def test_texts(self, name, value, monkeypatch, caplog):
        self._check(name, value, monkeypatch, caplog)

    @pytest.mark.parametrize("value", HOSTILE_CHOICES)
    def test_executor(self, value, monkeypatch, caplog):
        self._check("CNNVIZ_EXECUTOR", value, monkeypatch, caplog)

    @pytest.mark.parametrize("name", [n for n in INTS if cfg.SETTINGS[n].low >= 1])
    def test_zero_counts(self, name, monkeypatch, caplog):
        """0 workers, 0 running runs per student, a queue of 0: each would leave runs waiting
        forever; refused like any bad value."""
        self._check(name, "0", monkeypatch, caplog)

    @pytest.mark.parametrize("name", INTS)
    def test_just_out_of_range(self, name, monkeypatch, caplog):
        s = cfg.SETTINGS[name]
        self._check(name, str(int(s.high) + 1), monkeypatch, caplog)
        cfg._reported.clear()
        caplog.clear()
        self._check(name, str(int(s.low) - 1), monkeypatch, caplog)

    def _check(self, name, value, monkeypatch, caplog):
        s = cfg.SETTINGS[name]
        monkeypatch.setenv(name, value)
        with caplog.at_level(logging.WARNING, logger="cnnviz.config"):
            got = [cfg.setting(name) for _ in range(3)]
            cfg.check_environment()
        assert got == [s.default] * 3
        lines = _refusals(caplog, name)
        assert len(lines) == 1, lines
        assert s.describe_default() in lines[0]
        if s.kind == "secret":
            assert value not in lines[0]  # a secret is never written to the log
        assert len(lines[0]) < 300  # a 5,000-digit value is not echoed whole


class TestParser:
    """What the environment cannot hold (a NUL) still never passes the parser."""

    @pytest.mark.parametrize("name", list(cfg.SETTINGS))
    @pytest.mark.parametrize("value", ["3\x00", "\x00", "a\x00b"])
    def test_nul(self, name, value):
        s = cfg.SETTINGS[name]
        got, why = cfg.parse_setting(s, value)
        assert got == s.default and "NUL" in why


class TestGoodValues:
    """What a person means is read as meant (spaces around it, any case for words)."""

    @pytest.mark.parametrize(
        "name, raw, value",
        [
            ("CNNVIZ_WORKERS", " 3 ", 3),
            ("CNNVIZ_WORKERS", "+2", 2),
            ("CNNVIZ_THREADS", "1", 1),
            ("CNNVIZ_STOP_GRACE_S", "2.5", 2.5),
            ("CNNVIZ_STOP_GRACE_S", "10", 10.0),
            ("CNNVIZ_RAY_GPUS", ".5", 0.5),
            ("CNNVIZ_EXECUTOR", " Thread ", "thread"),
            ("CNNVIZ_DOWNLOAD", "off", False),
            ("CNNVIZ_DOWNLOAD", "0", False),
            ("CNNVIZ_CUDA_GRAPHS", "TRUE", True),
            ("CNNVIZ_GC_FREEZE", "no", False),
            ("CNNVIZ_MAX_RUNNING_PER_USER", "2", 2),
            ("CNNVIZ_STUDENT_MAX_RUN_S", "600", 600),
            ("CNNVIZ_RAY_ADDRESS", "ray://head:10001", "ray://head:10001"),
            ("CNNVIZ_TEACHER_SECRET", " s3cret ", " s3cret "),
        ],
    )
    def test_read_as_meant(self, name, raw, value, monkeypatch, caplog):
        monkeypatch.setenv(name, raw)
        with caplog.at_level(logging.WARNING, logger="cnnviz.config"):
            assert cfg.setting(name) == value
        assert not _refusals(caplog, name)

    @pytest.mark.parametrize("name", list(cfg.SETTINGS))
    def test_unset_and_blank_mean_the_default_without_a_word(self, name, monkeypatch, caplog):
        with caplog.at_level(logging.WARNING, logger="cnnviz.config"):
            unset = cfg.setting(name)
            monkeypatch.setenv(name, "   ")
            blank = cfg.setting(name)
        default = cfg.SETTINGS[name].default
        if name == "CNNVIZ_HOME":
            default = unset  # the test's own store folder
        assert unset == default and blank == cfg.SETTINGS[name].default
        assert not _refusals(caplog, name)


class TestConsumers:
    """What reads the settings never raises on a hostile value and uses the default."""

    @pytest.mark.parametrize("value", HOSTILE_NUMBERS[:12] + ["0"])
    def test_limits(self, value, monkeypatch):
        for name in INTS:
            if name.startswith(("CNNVIZ_MAX_", "CNNVIZ_STUDENT", "CNNVIZ_USER", "CNNVIZ_STORE",
                                "CNNVIZ_RETENTION")):  # fmt: skip
                monkeypatch.setenv(name, value)
        assert Limits.from_env() == Limits()

    @pytest.mark.parametrize(
        "field, value",
        [("max_running_per_user", 0), ("max_queued_per_user", 0), ("max_queued", -1),
         ("student_max_run_s", 0), ("retention_days", 10**9), ("max_queued", 2.5),
         ("max_running_per_user", True), ("user_quota_mb", "5")],
    )  # fmt: skip
    def test_limits_that_never_run_a_students_run_are_refused(self, field, value):
        with pytest.raises(ValueError, match=field):
            Limits(**{field: value})

    @pytest.mark.parametrize("workers", ["²", "١٢", "9" * 5_000, "-3", "0", "1.5"])
    @pytest.mark.parametrize("threads", ["²", "0", "9" * 30])
    def test_executor_and_manager(self, workers, threads, monkeypatch, tmp_path):
        from cnnviz.runs import manager as M
        from cnnviz.runs.executors import default_threads

        monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("CNNVIZ_EXECUTOR", "thread")
        monkeypatch.setenv("CNNVIZ_WORKERS", workers)
        monkeypatch.setenv("CNNVIZ_THREADS", threads)
        monkeypatch.setattr(M, "_managers", {})
        mgr = M.get_manager()
        try:
            assert mgr.executor.slots == 1 and mgr.limits == Limits()
            assert default_threads(1) >= 1
        finally:
            mgr.shutdown()

    def test_unknown_executor_is_the_default(self, monkeypatch, tmp_path):
        from cnnviz.runs import RunStore
        from cnnviz.runs.manager import make_executor

        monkeypatch.setenv("CNNVIZ_EXECUTOR", "proces")
        assert cfg.setting("CNNVIZ_EXECUTOR") == "process"
        monkeypatch.setenv("CNNVIZ_EXECUTOR", "threads")
        monkeypatch.setenv("CNNVIZ_WORKERS", "²")
        store = RunStore(tmp_path / "s")
        ex = make_executor(store)
        try:
            assert ex.kind == "process" and ex.slots == 1
        finally:
            ex.shutdown()

    @pytest.mark.parametrize("value", HOSTILE_TEXTS)
    def test_store_home(self, value, monkeypatch):
        from pathlib import Path

        from cnnviz.runs import default_home

        monkeypatch.setenv("CNNVIZ_HOME", value)
        assert default_home() == Path.home() / ".local" / "share" / "cnnviz"

    def test_a_home_of_no_user_is_refused(self, monkeypatch):
        from pathlib import Path

        from cnnviz.runs import default_home

        monkeypatch.setenv("CNNVIZ_HOME", "~no_such_user_cnnviz/runs")
        assert default_home() == Path.home() / ".local" / "share" / "cnnviz"

    @pytest.mark.parametrize("value", ["", "   "])
    def test_no_teacher_secret(self, value, monkeypatch):
        monkeypatch.setenv("CNNVIZ_TEACHER_SECRET", value)
        assert teacher_secret() is None

    def test_data_folders_and_download(self, monkeypatch, tmp_path):
        from pathlib import Path

        from cnnviz import data

        monkeypatch.setenv("CNNVIZ_DATA", "a\udcffb")
        monkeypatch.setenv("CNNVIZ_SYSTEM_DATA", "x" * 5_000)
        found = data.candidate_folders()
        assert [what for what, _ in found] == ["Debian package"]
        assert found[0][1] == Path(data.DEBIAN_DIR)
        monkeypatch.setenv("CNNVIZ_DOWNLOAD", "²")
        monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path))
        assert data.candidate_folders()[0] == ("$CNNVIZ_DATA", tmp_path)


class TestNames:
    """A CNNVIZ_ variable that is no setting (a typo in its name) is said once at start."""

    @pytest.mark.parametrize(
        "typo, meant",
        [("CNNVIZ_MAX_QUEUD_PER_USER", "CNNVIZ_MAX_QUEUED_PER_USER"),
         ("CNNVIZ_WORKER", "CNNVIZ_WORKERS"), ("CNNVIZ_EXECUTER", "CNNVIZ_EXECUTOR"),
         ("CNNVIZ_TEACHER_SECRETS", "CNNVIZ_TEACHER_SECRET")],
    )  # fmt: skip
    def test_typo_in_a_name(self, typo, meant, monkeypatch, caplog):
        monkeypatch.setenv(typo, "3")
        with caplog.at_level(logging.WARNING, logger="cnnviz.config"):
            problems = cfg.check_environment()
            cfg.check_environment()
        assert any(typo in p and f"did you mean {meant}" in p for p in problems)
        assert len(_refusals(caplog, typo)) == 1

    def test_every_setting_is_documented_with_a_range(self):
        for s in cfg.SETTINGS.values():
            assert s.name.startswith("CNNVIZ_") and s.help
            if s.kind in ("int", "float"):
                assert s.low is not None and s.high is not None and s.low <= s.high
                assert s.default is None or s.low <= s.default <= s.high
