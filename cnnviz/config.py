"""What defines a training run (d2l 6.6 ``train_ch6`` defaults), apart from how it is trained;
and the server's settings from the environment.

:class:`RunConfig` is plain data: the run store keeps it as JSON, run files carry it, worker
processes and Ray workers receive it as a dict. It imports no training code, so the store, the
run files and the pages can use it without pulling in the trainer.

:data:`SETTINGS` lists every ``CNNVIZ_*`` environment variable with its type, range and
default; :func:`setting` is the only reader of them.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import threading
from dataclasses import dataclass, fields
from pathlib import Path

from cnnviz.models import ModelSpec, spec_from_dict, spec_to_dict

# Bounds of a run's settings: far above anything a lesson needs, far below what would overflow
# SQLite's integers or fill a disk (a run file or a crafted link may carry any number).
MAX_EPOCHS = 1_000
MAX_BATCH = 8_192
MAX_EXAMPLES = 60_000  # Fashion-MNIST's training split
MAX_VAL_EXAMPLES = 10_000  # and its test split
MAX_SEED = 2**63 - 1  # what torch.Generator.manual_seed takes
MAX_LR = 100.0
DEVICES = ("auto", "cpu", "cuda")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run; stored with the run (d2l 6.6 defaults).

    Attributes:
        spec: the network (a cnnviz.models spec).
        num_epochs: d2l's ``num_epochs``.
        lr: SGD learning rate; None means the spec's (d2l's lr for that model).
        batch_size: d2l's 128.
        limit: train on the first ``limit`` examples of a seeded permutation of the 60k.
        val_limit: validate on the first ``val_limit`` test examples.
        seed: seeds the init, the data order and dropout, each through a generator of the
            run's own (never the process-global one).
        device: "auto", "cpu" or "cuda".
    """

    spec: ModelSpec | None = None  # required: None is refused with a clear message
    num_epochs: int = 10
    lr: float | None = None
    batch_size: int = 128
    limit: int | None = None
    val_limit: int | None = None
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        from cnnviz.models.registry import is_spec

        if not is_spec(self.spec):
            what = "none" if self.spec is None else f"a {type(self.spec).__name__}"
            raise ValueError(
                f"A run needs a network (the spec of a family in cnnviz.models.REGISTRY); "
                f"it was given {what}."
            )

    @property
    def effective_lr(self) -> float:
        return float(self.spec.lr if self.lr is None else self.lr)

    def to_dict(self) -> dict:
        """JSON-ready, the spec via ``spec_to_dict``."""
        return {
            "spec": spec_to_dict(self.spec),
            "num_epochs": self.num_epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "limit": self.limit,
            "val_limit": self.val_limit,
            "seed": self.seed,
            "device": self.device,
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValueError: no spec, an unreadable spec, or settings this version does not know.
        """
        if not isinstance(d, dict):
            raise ValueError(f"a run's settings are a dict, not {type(d).__name__}")
        d = dict(d)
        spec = d.pop("spec", None)
        if isinstance(spec, dict):
            try:
                spec = spec_from_dict(spec)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"the run's network cannot be read ({exc!r})") from None
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown run settings: {', '.join(map(str, unknown))}")
        return cls(spec=spec, **d)

    def validate(self) -> None:
        """Raise ValueError with a readable message for settings that cannot train."""
        for name, low, high in (
            ("num_epochs", 1, MAX_EPOCHS),
            ("batch_size", 1, MAX_BATCH),
            ("seed", 0, MAX_SEED),
        ):
            value = getattr(self, name)
            if not _is_int(value) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high:,}")
        for name, high in (("limit", MAX_EXAMPLES), ("val_limit", MAX_VAL_EXAMPLES)):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or not 1 <= value <= 2**31):
                raise ValueError(
                    f"{name} (subset size) must be a whole number of at least 1 "
                    f"(anything from {high:,} up means all of them)"
                )
        lr = self.lr
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float)):
            raise ValueError("lr must be a number")
        eff = self.effective_lr
        if not (math.isfinite(eff) and 0 < eff <= MAX_LR):
            raise ValueError(f"lr must be positive and at most {MAX_LR:g}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be auto, cpu or cuda, not {self.device!r}")
        if min(self.batch_size, self.limit or 2) == 1 and not _trains_on_one(self.spec):
            raise ValueError(
                "this network's batch normalization needs at least 2 examples per batch: "
                "use a batch size and a subset size of 2 or more"
            )


def _trains_on_one(spec: ModelSpec) -> bool:
    """Whether ``spec``'s network can take a training step on a batch of one image: batch norm
    over a single value per channel (LeNet-BN's BatchNorm1d, a 1×1 map) cannot. A forward pass
    on the meta device, in training mode: nothing is allocated."""
    import torch

    from cnnviz.models import build_model

    net = build_model(spec, device="meta").train()
    try:
        with torch.no_grad():
            net(torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size, device="meta"))
    except ValueError as exc:
        if "more than 1 value per channel" in str(exc):
            return False
        raise
    return True


# -- settings from the environment -------------------------------------------------------------
#
# Every ``CNNVIZ_*`` variable is read here, and only here: parsed with its type and range, so a
# bad value (a typo, "²", a number too long to convert, a negative count) gives one clear log
# line and the stated default, never a traceback in a page or a class that waits forever.

log = logging.getLogger("cnnviz.config")

MAX_SETTING_CHARS = 4_096  # longer is no path, address or number anyone meant
_INT = re.compile(r"\+?[0-9]{1,15}", re.ASCII)  # ASCII digits only: "²" and "١٢" are not counts
_FLOAT = re.compile(r"\+?(?:[0-9]{1,15}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})", re.ASCII)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    """One ``CNNVIZ_*`` variable: its type (int, float, bool, choice, text, path or secret),
    its default (None: decided by the code that uses it, said in ``default_text``), its range
    and what it does."""

    name: str
    kind: str
    default: object = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    default_text: str = ""

    def describe_default(self) -> str:
        if self.default_text:
            return self.default_text
        if isinstance(self.default, bool):
            return "1" if self.default else "0"
        return "unset" if self.default is None else str(self.default)


def _int_setting(name: str, default: int | None, low: int, high: int, help: str, **kw) -> Setting:
    return Setting(name, "int", default, low, high, help=help, **kw)


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("CNNVIZ_HOME", "path", help="the run store's folder",
                default_text="~/.local/share/cnnviz"),
        Setting("CNNVIZ_EXECUTOR", "choice", "process", choices=("process", "thread", "ray"),
                help="where runs train"),
        _int_setting("CNNVIZ_WORKERS", None, 1, 256, "runs training at once",
                     default_text="1 (Ray: the cluster's CPUs)"),
        _int_setting("CNNVIZ_THREADS", None, 1, 1_024, "torch CPU threads per run",
                     default_text="the cores less one, shared by the workers"),
        Setting("CNNVIZ_STOP_GRACE_S", "float", 5.0, 0.1, 600.0,
                help="seconds a run may take to leave its batch after Stop before its worker "
                "is ended"),
        Setting("CNNVIZ_RAY_ADDRESS", "text", help="the Ray cluster",
                default_text="a local Ray started on demand"),
        Setting("CNNVIZ_RAY_GPUS", "float", None, 0.01, 64.0, help="GPUs per run on Ray",
                default_text="1 where the cluster has GPUs"),
        Setting("CNNVIZ_DATA", "path", help="a folder with Fashion-MNIST's four files"),
        Setting("CNNVIZ_SYSTEM_DATA", "path", help="the Debian package's folder",
                default_text="/usr/share/datasets/fashion-mnist"),
        Setting("CNNVIZ_DOWNLOAD", "bool", True, help="download Fashion-MNIST when missing"),
        Setting("CNNVIZ_CUDA_GRAPHS", "bool", False, help="replay training steps as CUDA graphs"),
        Setting("CNNVIZ_GC_FREEZE", "bool", True, help="freeze long-lived objects for the GC"),
        Setting("CNNVIZ_TEACHER_SECRET", "secret", help="unlocks the teacher role",
                default_text="no teacher role"),
        Setting("CNNVIZ_TRUSTED_PROXY", "text", default_text="none",
                help="proxy addresses (comma-separated) whose X-Forwarded-For is believed"),
        # the class limits (cnnviz.classroom.Limits): none may be 0, or no student's run starts
        _int_setting("CNNVIZ_MAX_RUNNING_PER_USER", 1, 1, 1_000, "runs a student trains at once"),
        _int_setting("CNNVIZ_MAX_QUEUED_PER_USER", 4, 1, 10_000, "runs a student may queue"),
        _int_setting("CNNVIZ_MAX_QUEUED", 60, 1, 100_000, "runs waiting in all"),
        # a class behind one NAT shares one address: the default leaves such a class room
        _int_setting("CNNVIZ_MAX_QUEUED_PER_ADDRESS", 40, 1, 100_000,
                     "runs the students at one client address may queue together"),
        _int_setting("CNNVIZ_MAX_RUNNING_PER_ADDRESS", 30, 1, 100_000,
                     "runs the students at one client address may train at once"),
        _int_setting("CNNVIZ_STUDENT_MAX_RUN_S", 20 * 60, 1, 10**7,
                     "the longest run a student may start, in seconds (by its estimate)"),
        _int_setting("CNNVIZ_USER_QUOTA_MB", 2_000, 1, 10**9, "disk per student"),
        _int_setting("CNNVIZ_STORE_QUOTA_MB", 50_000, 1, 10**10, "disk per store"),
        _int_setting("CNNVIZ_RETENTION_DAYS", 14, 1, 36_500,
                     "days an old student run keeps its weights"),
        _int_setting("CNNVIZ_MAX_IMPORTS_PER_USER", 20, 1, 100_000,
                     "imported runs a student may keep"),
        # a class behind one NAT joins from one address: room for a large class, twice over
        _int_setting("CNNVIZ_SEATS_PER_ADDRESS", 150, 1, 100_000,
                     "class seats one client address may make in 10 minutes"),
    )
}  # fmt: skip
# Read by the benchmarks and test tools, not by cnnviz: known, so not reported as typos.
TOOL_SETTINGS = ("CNNVIZ_PROFILE_DIR", "CNNVIZ_CLASSROOM_PROFILE", "CNNVIZ_CLASSROOM_CLOCK")

_reported: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()
_cache: dict = {}


def _shown(setting: Setting, raw: str) -> str:
    if setting.kind == "secret":
        return "(hidden)"
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def parse_setting(setting: Setting, raw: str | None) -> tuple[object, str | None]:
    """(the value, None) for a good or absent ``raw``; (the default, why ``raw`` was refused)
    otherwise. Never raises."""
    if raw is None or not raw.strip():
        return setting.default, None
    value = raw.strip()
    kind, low, high = setting.kind, setting.low, setting.high
    why = None
    if len(value) > MAX_SETTING_CHARS:
        why = f"is longer than {MAX_SETTING_CHARS:,} characters"
    elif "\x00" in value:
        why = "contains a NUL character"
    elif kind in ("path", "text", "secret"):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            why = "is not valid UTF-8"
        else:
            if kind == "path":
                try:
                    return str(Path(value).expanduser()), None
                except RuntimeError as exc:  # "~nobody/...": no such user
                    why = f"cannot be expanded ({exc})"
            else:
                return (raw if kind == "secret" else value), None  # a secret as typed
    elif kind == "choice":
        if value.lower() in setting.choices:
            return value.lower(), None
        why = "is not one of " + ", ".join(setting.choices)
    elif kind == "bool":
        if value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE, None
        why = "is not 1 or 0 (true/false, yes/no, on/off)"
    elif kind == "int":
        if _INT.fullmatch(value) and low <= int(value) <= high:
            return int(value), None
        why = f"is not a whole number from {low:,} to {high:,}"
    elif kind == "float":
        if _FLOAT.fullmatch(value) and low <= float(value) <= high:
            return float(value), None
        why = f"is not a number from {low:g} to {high:g}"
    else:  # pragma: no cover - a mistake in SETTINGS
        raise ValueError(f"unknown setting kind {kind!r}")
    return setting.default, f"{setting.name}={_shown(setting, raw)} {why}"


def _report(problem: str, key: tuple[str, str]) -> None:
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("cnnviz setting ignored: %s", problem)


def settings() -> dict[str, object]:
    """Every setting's value now (name → value; None: the code's own default). A refused
    value is logged once, with the default used instead."""
    raw = tuple((name, os.environ.get(name)) for name in SETTINGS)
    if _cache.get("raw") == raw:
        return _cache["values"]
    values = {}
    for name, text in raw:
        s = SETTINGS[name]
        values[name], why = parse_setting(s, text)
        if why is not None:
            _report(f"{why}; using {s.describe_default()} instead", (name, text))
    _cache.update(raw=raw, values=values)
    return values


def setting(name: str):
    """One setting's value (see :func:`settings`)."""
    return settings()[name]


def check_environment() -> list[str]:
    """At start: every refused value, and every ``CNNVIZ_*`` variable that is no setting (a
    typo in a name would otherwise be ignored without a word), logged once; returns them."""
    settings()
    problems = []
    for name, text in os.environ.items():
        if not name.startswith("CNNVIZ_") or name in SETTINGS or name in TOOL_SETTINGS:
            continue
        close = difflib.get_close_matches(name, list(SETTINGS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problem = f"{name} is not a cnnviz setting{hint}; it is ignored"
        problems.append(problem)
        _report(problem, (name, text))
    for name, text in os.environ.items():
        if name in SETTINGS:
            _, why = parse_setting(SETTINGS[name], text)
            if why is not None:
                problems.append(why)
    return problems
