"""Portable run files: a run's weights as safetensors, with the run itself in the metadata.

A cnnviz checkpoint is an ordinary safetensors file: ``safetensors.torch.load_file`` gives the
state dict that the network's ``load_state_dict`` takes. Its metadata also holds the run
(``cnnviz_run``: config, name, status, device and every epoch's metrics; ``cnnviz_epochs``: the
first layer after every epoch), so the one file brings a run back in another store: trained on
a GPU machine with ``python -m cnnviz train``, then shown in a classroom on a laptop (the
Training page's import, or ``python -m cnnviz import``). cnnviz goes further than the book
here: d2l keeps no runs.

Reading never executes code (no pickle) and checks everything before a store is touched. A run
file is data from anyone, so :func:`read_run_file` turns every bad input into a
:class:`RunFileError` with a reason, and bounds every field (the ``MAX_*`` limits below): its
types, its ranges, its lengths and the run id's alphabet.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
import time
import unicodedata
from dataclasses import dataclass

import torch

from cnnviz import config as run_config
from cnnviz.config import RunConfig
from cnnviz.errors import KeyedError, plain_name

RUN_KEY = "cnnviz_run"
EPOCHS_KEY = "cnnviz_epochs"  # the run's snapshots file (safetensors), base64
ANALYSIS_KEY = "cnnviz_analysis"  # the final evaluation: confusion matrix, worst mistakes
SNAPSHOT_KEY = re.compile(r"epoch([0-9]{1,4})/(.+)", re.ASCII)
FILE_VERSION = 1
METRIC_COLUMNS = (
    "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "examples_per_s", "seconds",
)  # fmt: skip
FINAL = ("finished", "stopped")  # a file saved at any other status holds a cut-off run
RUN_STATUSES = ("queued", "running", "finished", "stopped", "failed", "interrupted")

# -- limits: a file is refused (RunFileError) when it goes past one ---------------------------
# The safetensors header (JSON): safetensors' own size limit, and at most this many values in
# it (commas and brackets counted before parsing), so a 100 MB header of tiny values cannot
# make json.loads build gigabytes of objects. A real run's header has a few thousand.
MAX_HEADER_BYTES = 100 * 2**20
MAX_HEADER_VALUES = 200_000
MAX_DESCRIPTION_CHARS = 2**20  # cnnviz_run: settings plus up to MAX_EPOCHS rows of metrics
MAX_SNAPSHOTS_CHARS = 64 * 2**20  # cnnviz_epochs (base64); larger ones are dropped
MAX_OTHER_METADATA_CHARS = 2**16  # any other metadata (writers add "format", "run_id")
MAX_ANALYSIS_CHARS = 2**18  # cnnviz_analysis (about 10 KB); larger ones are dropped
# Strings that the pages show: refused when longer (not cut, so that the store and the file
# it keeps say the same), or when they hold control characters.
MAX_TEXT_CHARS = 200  # name, group, preset, device
RUN_ID = re.compile(r"[0-9a-f]{1,32}", re.ASCII)  # ids become file names: lowercase hex only
# A run's settings: the bounds of runs started here (cnnviz.config), so every file a store
# writes can be imported again.
MAX_EPOCHS = run_config.MAX_EPOCHS  # 1,000
MAX_BATCH_SIZE = run_config.MAX_BATCH  # 8,192
MAX_LIMIT = 2**31  # subset sizes: from 60,000 (10,000 for val_limit) up, the whole split
MAX_VAL_LIMIT = 2**31
MAX_SEED = run_config.MAX_SEED  # 2**63 - 1: what torch.Generator.manual_seed and SQLite take
MAX_LR = run_config.MAX_LR  # 100
# When the run was created: a Unix time from 2000-01-01 to a day ahead of this clock.
EARLIEST_CREATED = 946_684_800.0
CREATED_SLACK_S = 86_400.0
MAX_QUOTE_CHARS = 80  # a value quoted in a message is cut to this

# What is wrong with a safetensors header (in brackets after "is not a safetensors file").
HEADER_SHORT = "it is {n} bytes long"
HEADER_LENGTH = "its header length does not fit the file"
HEADER_VALUES = "its header holds over {most:,} values"  # after "… file cnnviz can read"
HEADER_NESTED = "its header is nested too deeply"
HEADER_NOT_JSON = "its header is not valid JSON: {detail}"
HEADER_NOT_OBJECT = "its header is not a JSON object"
HEADER_NOT_TEXT = "its metadata is not text: safetensors keeps strings"
HEADER_DAMAGED = "its header is damaged: {detail}"
HEADER_PROBLEMS = {
    "reason.header_short": HEADER_SHORT,
    "reason.header_length": HEADER_LENGTH,
    "reason.header_values": HEADER_VALUES,
    "reason.header_nested": HEADER_NESTED,
    "reason.header_not_json": HEADER_NOT_JSON,
    "reason.header_not_object": HEADER_NOT_OBJECT,
    "reason.header_not_text": HEADER_NOT_TEXT,
    "reason.header_damaged": HEADER_DAMAGED,
}
# Why a file's epoch snapshots, or its evaluation, were not kept (RunFile.snapshots_dropped,
# .analysis_dropped): the reason an import's notice quotes.
SNAPSHOT_DROPS = {
    "reason.snapshots_size": "they take {n:,} characters (at most {most:,})",
    "reason.snapshots_base64": "they are not base64",
    "reason.snapshots_header": "is not a safetensors file ({reason})",  # a HEADER_PROBLEMS one
    "reason.snapshots_header_values": "is not a safetensors file cnnviz can read ({reason})",
    "reason.snapshots_name": "a tensor is named {name}, not epoch<n>/<layer>",
    "reason.snapshots_empty": "they hold no tensors",
    "reason.snapshots_epoch": "they hold epoch {epoch} of a run of {n}",
    "reason.snapshots_fit": "epoch {epoch} does not fit the described network (first: {first})",
    "reason.snapshots_unreadable": "they cannot be read ({error})",
}
ANALYSIS_DROPS = {
    "reason.analysis_size": "its evaluation is larger than {most:,} characters",
    "reason.analysis_damaged": "its evaluation is damaged: {detail}",
    "reason.analysis_images": "its evaluation counts {n:,} images, the run validates on {want:,}",
    "reason.analysis_epoch": "its evaluation is of epoch {epoch}, the run has {n}",
}

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}  # fmt: skip


class RunFileError(KeyedError, ValueError):
    """The file cannot be imported as a run; the message says why, for the person holding it."""


@dataclass(frozen=True)
class RunFile:
    """A run as a file describes it, with its weights (CPU tensors).

    ``snapshots_dropped`` says why the file's epoch snapshots were not kept (None when they
    were, or when it had none); then ``snapshots`` is None and the store rebuilds epoch 0 and
    the last epoch. ``analysis_dropped`` likewise for its evaluation (a page computes it again).
    """

    run_id: str
    name: str
    group: str | None
    preset: str | None
    status: str
    config: RunConfig
    created: float
    device: str | None
    metrics: list[dict]
    tensors: dict[str, torch.Tensor]
    snapshots: bytes | None = None  # a snapshots file, or None (then rebuilt on import)
    snapshots_dropped: str | None = None
    analysis: dict | None = None  # the final evaluation (cnnviz.insight.evaluate_run)
    analysis_dropped: str | None = None  # why the file's evaluation was not kept


def _finite(value) -> float | None:
    """A metric as the file keeps it: a real number, or None for a NaN or infinite one (the
    store keeps those as NULL: a run that diverged)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def finite_lenient(value) -> float | None:
    """A number read back from the run store: a number or numeric text, None for anything else
    (NULL, a NaN or an infinity, a damaged value). The one reading of a finite number."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    return _finite(value)


def describe(
    run_id: str,
    name: str,
    group: str | None,
    preset: str | None,
    status: str,
    config: RunConfig,
    created: float,
    device: str | None,
    metrics: list[dict],
) -> str:
    """The ``cnnviz_run`` metadata value: the run as JSON (safetensors metadata is text)."""
    rows = [
        {c: (m.get(c) if c == "epoch" else _finite(m.get(c))) for c in METRIC_COLUMNS}
        for m in metrics
    ]
    return json.dumps(
        {
            "version": FILE_VERSION,
            "run_id": run_id,
            "name": name,
            "group": group,
            "preset": preset,
            "status": status,
            "config": config.to_dict(),
            "created": created,
            "device": device,
            "metrics": rows,
        },
        allow_nan=False,
    )


def encode_snapshots(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- the safetensors header -------------------------------------------------------------------


def _quote(value) -> str:
    """A value for a message: its repr, cut to MAX_QUOTE_CHARS."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 1] + "…"


def _label(name) -> str:
    """The file's name for messages (one line, cut, no control or bidi characters)."""
    return plain_name(name, MAX_QUOTE_CHARS)


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {_quote(key)}")
        out[key] = value
    return out


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tensor_entry(key, entry) -> str | None:
    """What is wrong with one tensor's header entry, or None."""
    if not isinstance(entry, dict):
        return f"tensor {_quote(key)} is not described by an object"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str):
        return f"tensor {_quote(key)} has no dtype"
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(s) for s in shape):
        return f"tensor {_quote(key)} has a bad shape {_quote(shape)}"
    if any(s < 0 or s > 2**40 for s in shape):
        return f"tensor {_quote(key)} has a bad shape {_quote(shape)}"
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_int(o) and 0 <= o <= 2**48 for o in offsets)
        or offsets[0] > offsets[1]
    ):
        return f"tensor {_quote(key)} has bad data offsets {_quote(offsets)}"
    return None


def _header(data: bytes, name: str) -> tuple[dict, dict[str, str]]:
    """The safetensors header (8 bytes of length, then JSON): (tensor entries, metadata).

    Raises:
        RunFileError: the bytes are not a well-formed safetensors file.
    """
    not_st = f"“{_label(name)}” is not a safetensors file"
    if not isinstance(data, bytes | bytearray | memoryview):
        raise RunFileError(f"{not_st} (got {type(data).__name__}, not bytes).")
    data = bytes(data) if not isinstance(data, bytes) else data
    if len(data) < 8:
        short = HEADER_SHORT.format(n=len(data))
        raise RunFileError(f"{not_st} ({short}).", "runfile.short",
                           name=_label(name), n=len(data))  # fmt: skip
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(MAX_HEADER_BYTES, len(data) - 8):
        raise RunFileError(f"{not_st} ({HEADER_LENGTH}).",
                           "runfile.header_length", name=_label(name))  # fmt: skip
    raw = data[8 : 8 + n]
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{")
    if values > MAX_HEADER_VALUES:
        raise RunFileError(
            f"{not_st} cnnviz can read ({HEADER_VALUES.format(most=MAX_HEADER_VALUES)})."
        )
    try:
        header = json.loads(raw, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise RunFileError(f"{not_st} ({HEADER_NESTED}).") from None
    except (UnicodeDecodeError, ValueError) as exc:
        bad = HEADER_NOT_JSON.format(detail=exc)
        raise RunFileError(f"{not_st} ({bad}).", "runfile.not_json",
                           name=_label(name), detail=str(exc)) from None  # fmt: skip
    if not isinstance(header, dict):
        raise RunFileError(f"{not_st} ({HEADER_NOT_OBJECT}).")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise RunFileError(f"{not_st} ({HEADER_NOT_TEXT}).")
    for key, entry in header.items():
        if problem := _tensor_entry(key, entry):
            raise RunFileError(f"{not_st} ({HEADER_DAMAGED.format(detail=problem)}).")
    return header, meta


def read_metadata(data: bytes, name: str = "upload") -> dict[str, str]:
    """The safetensors header's ``__metadata__``.

    Raises:
        RunFileError: the bytes are not a well-formed safetensors file.
    """
    return _header(data, name)[1]


# -- the run description ----------------------------------------------------------------------


def _text(field: str, value, optional: bool = True) -> str | None:
    """A string the pages show: at most MAX_TEXT_CHARS, no control characters."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not text ({_quote(value)})")
    if not optional and not value.strip():
        raise ValueError(f"{field} is empty")
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(
            f"{field} is {len(value):,} characters long; at most {MAX_TEXT_CHARS} are allowed"
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValueError(f"{field} holds control characters ({_quote(value)})")
    return value


def _int(field: str, value, low: int, high: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not _is_int(value):
        raise ValueError(f"{field} must be a whole number, not {_quote(value)}")
    if not low <= value <= high:
        raise ValueError(f"{field} must be from {low:,} to {high:,}, not {_quote(value)}")
    return value


def _real(field: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{field} must be a number, not {_quote(value)}")
    try:
        value = float(value)
    except OverflowError:
        raise ValueError(f"{field} is out of range ({_quote(value)})") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{field} must be from {low:g} to {high:g}, not {_quote(value)}")
    return value


def _created(value) -> float:
    """When the run was created: a Unix time from 2000-01-01 to a day ahead of this clock."""
    try:
        return _real("created", value, EARLIEST_CREATED, time.time() + CREATED_SLACK_S)
    except ValueError:
        raise ValueError(
            f"created must be a time from 2000-01-01 to tomorrow (Unix seconds), not "
            f"{_quote(value)}"
        ) from None


def _config(d) -> RunConfig:
    from cnnviz.models import spec_from_dict, validate

    if not isinstance(d, dict):
        raise ValueError("config is not an object")
    spec_d = d.get("spec")
    if not isinstance(spec_d, dict) or not isinstance(spec_d.get("family"), str):
        raise ValueError("config.spec is not a network description")
    try:
        spec = spec_from_dict(spec_d)
    except KeyError:
        raise ValueError(f"config.spec has an unknown family {_quote(spec_d['family'])}") from None
    except TypeError as exc:
        raise ValueError(f"config.spec has unknown fields ({exc})") from None
    if isinstance(spec.lr, bool):
        raise ValueError("config.spec.lr must be a number, not a boolean")
    validate(spec)  # SpecError (a ValueError) names the stage and shapes
    unknown = set(d) - {"spec", "num_epochs", "lr", "batch_size", "limit", "val_limit", "seed",
                        "device"}  # fmt: skip
    if unknown:
        raise ValueError(f"config has unknown fields ({', '.join(sorted(map(_quote, unknown)))})")
    lr = d.get("lr")
    config = RunConfig(
        spec=spec,
        num_epochs=_int("num_epochs", d.get("num_epochs"), 1, MAX_EPOCHS),
        lr=None if lr is None else _real("lr", lr, 0.0, MAX_LR),
        batch_size=_int("batch_size", d.get("batch_size"), 1, MAX_BATCH_SIZE),
        limit=_int("limit", d.get("limit"), 1, MAX_LIMIT, optional=True),
        val_limit=_int("val_limit", d.get("val_limit"), 1, MAX_VAL_LIMIT, optional=True),
        seed=_int("seed", d.get("seed"), 0, MAX_SEED),
        device=d.get("device"),
    )
    if config.lr is not None and config.lr <= 0:
        raise ValueError("lr must be positive")
    config.validate()
    return config


def _metrics(rows, num_epochs: int) -> list[dict]:
    """Epochs 1..n in order, each value a finite real number (or null: NaN in the store)."""
    if not isinstance(rows, list):
        raise ValueError("metrics is not a list")
    if len(rows) > num_epochs:
        raise ValueError(f"{len(rows):,} epochs of metrics for a run of {num_epochs}")
    ranges = {
        "train_loss": (0.0, math.inf), "val_loss": (0.0, math.inf),
        "train_acc": (0.0, 1.0), "val_acc": (0.0, 1.0),
        "examples_per_s": (0.0, math.inf), "seconds": (0.0, math.inf),
    }  # fmt: skip
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not _is_int(row.get("epoch")) or row["epoch"] != i:
            raise ValueError(f"epoch {i} is missing or out of order")
        values = {"epoch": i}
        for c, (low, high) in ranges.items():
            v = row.get(c)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise ValueError(f"epoch {i}: {c} is not a number ({_quote(v)})")
            if v is not None and not (math.isfinite(v) and low <= v <= high):
                raise ValueError(f"epoch {i}: {c} is {_quote(v)}, outside {low:g}..{high:g}")
            values[c] = None if v is None else float(v)
        out.append(values)
    return out


def _description(meta: dict[str, str], name: str) -> dict:
    """The run the ``cnnviz_run`` metadata describes, every field checked.

    Raises:
        RunFileError: missing, newer, or damaged (the message names the field).
    """
    label = _label(name)
    raw = meta[RUN_KEY]
    if len(raw) > MAX_DESCRIPTION_CHARS:
        raise RunFileError(
            f"“{label}” has a damaged run description ({len(raw):,} characters; a run's "
            f"description is at most {MAX_DESCRIPTION_CHARS:,})."
        )
    try:
        d = json.loads(raw, object_pairs_hook=_unique_keys)
        if not isinstance(d, dict):
            raise ValueError("it is not a JSON object")
        version = d.get("version", 0)
        if not _is_int(version):
            raise ValueError(f"version is not a whole number ({_quote(version)})")
        if version > FILE_VERSION:
            raise RunFileError(
                f"“{label}” comes from a newer cnnviz (run file version {_quote(version)}); "
                "update cnnviz to import it.", "runfile.newer", name=label,
                version=_quote(version),
            )  # fmt: skip
        run_id = d.get("run_id")
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise ValueError(
                f"run id {_quote(run_id)} is not 1 to 32 lowercase hexadecimal characters"
            )
        status = d.get("status")
        if status not in RUN_STATUSES:
            raise ValueError(f"status {_quote(status)} is not one of {', '.join(RUN_STATUSES)}")
        config = _config(d.get("config"))
        created = _created(d.get("created"))
        return dict(
            run_id=run_id,
            name=_text("name", d.get("name"), optional=False),
            group=_text("group", d.get("group")),
            preset=_text("preset", d.get("preset")),
            status=status,
            config=config,
            created=created,
            device=_text("device", d.get("device")),
            metrics=_metrics(d.get("metrics", []), config.num_epochs),
        )
    except RunFileError:
        raise
    except RecursionError:
        raise RunFileError(
            f"“{label}” has a damaged run description (nested too deeply)."
        ) from None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # SpecError is a ValueError
        detail = _clip(exc)
        raise RunFileError(
            f"“{label}” has a damaged run description ({detail}).",
            "runfile.description",
            name=label,
            detail=detail,
        ) from None


def _clip(exc: BaseException) -> str:
    """An exception's text on one line, cut, without a closing full stop (it goes in brackets)."""
    text = " ".join(str(exc).split()).rstrip(".")
    return text if len(text) <= 300 else text[:299] + "…"


# -- the tensors ------------------------------------------------------------------------------


def _expected(config: RunConfig) -> tuple[dict[str, tuple], set[str]]:
    """(name → (shape, safetensors dtype)) of the described network's state dict, and the
    names of its first stage (what a per-epoch snapshot holds; see cnnviz.features)."""
    from cnnviz.features import first_stage
    from cnnviz.models import build_model

    net = build_model(config.spec, device="meta")
    state = {
        k: (tuple(v.shape), DTYPES.get(v.dtype, str(v.dtype))) for k, v in net.state_dict().items()
    }
    stage = set(first_stage(net)[0])
    return state, {k for k in state if k.rpartition(".")[0] in stage}


def _fit(entries: dict, expected: dict[str, tuple]) -> tuple[list, list, list]:
    """(missing, unexpected, wrong shape or type) tensor names."""
    missing = sorted(set(expected) - set(entries))
    extra = sorted(set(entries) - set(expected))
    wrong = sorted(
        k
        for k, (shape, dtype) in expected.items()
        if k in entries and (tuple(entries[k]["shape"]), entries[k]["dtype"]) != (shape, dtype)
    )
    return missing, extra, wrong


def _drop(key: str, **params) -> str:
    """Why part of a file was not kept: a SNAPSHOT_DROPS or ANALYSIS_DROPS reason."""
    return (SNAPSHOT_DROPS.get(key) or ANALYSIS_DROPS[key]).format(**params)


def _snapshots(
    meta: dict[str, str], expected: dict[str, tuple], stage: set[str], num_epochs: int
) -> tuple[bytes | None, str | None]:
    """(the embedded snapshots file, None) when every epoch in it holds the described
    network's first stage, else (None, why it was dropped): a bad one costs only the
    scrubbing, never the import."""
    from safetensors.torch import load

    raw = meta.get(EPOCHS_KEY)
    if raw is None:
        return None, None
    if len(raw) > MAX_SNAPSHOTS_CHARS:
        return None, _drop("reason.snapshots_size", n=len(raw), most=MAX_SNAPSHOTS_CHARS)
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None, _drop("reason.snapshots_base64")
    try:
        entries, _ = _header(data, "snapshots")
    except RunFileError as exc:
        return None, str(exc).removeprefix("“snapshots” ").rstrip(".")  # reason.snapshots_header
    by_epoch: dict[int, dict] = {}
    for key, entry in entries.items():
        m = SNAPSHOT_KEY.fullmatch(key)
        if m is None:
            return None, _drop("reason.snapshots_name", name=_quote(key))
        by_epoch.setdefault(int(m.group(1)), {})[m.group(2)] = entry
    if not by_epoch:
        return None, _drop("reason.snapshots_empty")
    if max(by_epoch) > num_epochs:
        return None, _drop("reason.snapshots_epoch", epoch=max(by_epoch), n=num_epochs)
    want = {k: expected[k] for k in stage}
    for epoch, got in sorted(by_epoch.items()):
        missing, extra, wrong = _fit(got, want)
        if missing or extra or wrong:
            first = (missing or extra or wrong)[0]
            return None, _drop("reason.snapshots_fit", epoch=epoch, first=first)
    try:
        load(data)
    except Exception as exc:  # noqa: BLE001 - SafetensorError and kin: the data is damaged
        return None, _drop("reason.snapshots_unreadable", error=type(exc).__name__)
    return data, None


def read_run_file(data: bytes, name: str = "upload") -> RunFile:
    """Check and read a run file: its description, then weights that fit the network it names.

    Every bad input gives a :class:`RunFileError`, never another exception.

    Raises:
        RunFileError: not safetensors, weights without a cnnviz run, a damaged description
            (a field of the wrong type, out of range or too long), or weights that do not
            belong to the described network.
    """
    try:
        return _read(data, name)
    except RunFileError:
        raise
    except RecursionError:
        raise RunFileError(f"“{_label(name)}” cannot be read (it is nested too deeply).") from None
    except MemoryError:
        raise RunFileError(f"“{_label(name)}” is too large to read here.") from None
    except Exception as exc:  # noqa: BLE001 - the promise: a RunFileError, never a traceback
        raise RunFileError(
            f"“{_label(name)}” cannot be read ({type(exc).__name__}: {_clip(exc)})."
        ) from exc


def _read(data: bytes, name: str) -> RunFile:
    from safetensors.torch import load

    label = _label(name)
    entries, meta = _header(data, name)
    if RUN_KEY not in meta:
        raise RunFileError(
            f"“{label}” holds weights but no cnnviz run: only files from the Training page's "
            "“Weights (.safetensors)” button (or a run store's checkpoints folder) can be "
            "imported.", "runfile.no_run", name=label,
        )  # fmt: skip
    other = sum(
        len(k) + len(v) for k, v in meta.items() if k not in (RUN_KEY, EPOCHS_KEY, ANALYSIS_KEY)
    )
    if other > MAX_OTHER_METADATA_CHARS:
        raise RunFileError(
            f"“{label}” carries {other:,} characters of other metadata (at most "
            f"{MAX_OTHER_METADATA_CHARS:,}); it is not a file cnnviz wrote."
        )
    run = _description(meta, name)
    config = run["config"]
    expected, stage = _expected(config)
    missing, extra, wrong = _fit(entries, expected)
    if missing or extra or wrong:
        first = (missing or extra or wrong)[0]
        raise RunFileError(
            f"The weights in “{label}” do not fit the {config.spec.family} network it describes "
            f"({len(missing)} missing, {len(extra)} unexpected, {len(wrong)} of the wrong "
            f"shape or type; first: {_quote(first)}).", "runfile.mismatch", name=label,
            family=config.spec.family, missing=len(missing), extra=len(extra),
            wrong=len(wrong), first=_quote(first),
        )  # fmt: skip
    end = max((e["data_offsets"][1] for e in entries.values()), default=0)
    n = struct.unpack("<Q", data[:8])[0]
    if 8 + n + end > len(data):
        short = 8 + n + end - len(data)
        raise RunFileError(
            f"The weights in “{label}” end {short:,} bytes after the file does: it is cut short.",
            "runfile.cut_short", name=label, n=short,
        )  # fmt: skip
    try:
        tensors = load(bytes(data))
    except Exception as exc:  # noqa: BLE001 - SafetensorError: inconsistent data
        raise RunFileError(
            f"The weights in “{label}” cannot be read ({type(exc).__name__}: {_clip(exc)}); "
            "the file may be cut short or damaged."
        ) from None
    for k, (shape, dtype) in expected.items():  # the header said so; the data must agree
        if tuple(tensors[k].shape) != shape or DTYPES.get(tensors[k].dtype) != dtype:
            raise RunFileError(f"The weights in “{label}” are damaged (tensor {_quote(k)}).")
    snapshots, dropped = _snapshots(meta, expected, stage, config.num_epochs)
    analysis, analysis_dropped = _analysis(meta, config, len(run["metrics"]))
    return RunFile(
        **run, tensors=tensors, snapshots=snapshots, snapshots_dropped=dropped,
        analysis=analysis, analysis_dropped=analysis_dropped,
    )  # fmt: skip


TEST_IMAGES = 10_000  # Fashion-MNIST's test set: a run validates on its first val_limit


def _analysis(meta: dict[str, str], config, epochs: int) -> tuple[dict | None, str | None]:
    """(the file's final evaluation, None) if it reads as one (cnnviz.insight's stored form,
    checked in full) for this run's classes and validation images, else (None, why): a damaged
    one costs only the evaluation, which a page computes again."""
    raw = meta.get(ANALYSIS_KEY)
    if raw is None:
        return None, None
    if not isinstance(raw, str) or len(raw) > MAX_ANALYSIS_CHARS:
        return None, _drop("reason.analysis_size", most=MAX_ANALYSIS_CHARS)
    from cnnviz.insight import InsightError, stored_evaluation

    try:
        stored = json.loads(raw)
        stored_evaluation(stored, config.spec.num_classes)
    except (ValueError, RecursionError) as exc:  # bad or too deep JSON, or an InsightError
        detail = str(exc.params.get("detail", exc)) if isinstance(exc, InsightError) else None
        detail = (detail or "not JSON")[:MAX_QUOTE_CHARS]
        return None, _drop("reason.analysis_damaged", detail=detail)
    want = min(TEST_IMAGES, config.val_limit or TEST_IMAGES)
    if stored["num_images"] != want:
        return None, _drop("reason.analysis_images", n=stored["num_images"], want=want)
    if stored.get("epochs_done", epochs) > epochs:
        return None, _drop("reason.analysis_epoch", epoch=stored["epochs_done"], n=epochs)
    return stored, None
