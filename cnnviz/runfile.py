"""Portable run files: a run's weights as safetensors, with the run itself in the metadata.

A cnnviz checkpoint is an ordinary safetensors file: ``safetensors.torch.load_file`` gives the
state dict that the network's ``load_state_dict`` takes. Its metadata also holds the run
(``cnnviz_run``: config, name, status, device and every epoch's metrics; ``cnnviz_epochs``: the
first layer after every epoch), so the one file brings a run back in another store: trained on
a GPU machine with ``python -m cnnviz train``, then shown in a classroom on a laptop (the
Training page's import, or ``python -m cnnviz import``). cnnviz goes further than the book
here: d2l keeps no runs.

Reading never executes code (no pickle) and checks everything before a store is touched.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from dataclasses import dataclass

import torch

from cnnviz.train import RunConfig

RUN_KEY = "cnnviz_run"
EPOCHS_KEY = "cnnviz_epochs"  # the run's snapshots file (safetensors), base64
SNAPSHOT_KEY = re.compile(r"epoch(\d+)/.+")
FILE_VERSION = 1
MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit
METRIC_COLUMNS = (
    "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "examples_per_s", "seconds",
)  # fmt: skip
FINAL = ("finished", "stopped")  # a file saved at any other status holds a cut-off run


class RunFileError(ValueError):
    """The file cannot be imported as a run; the message says why, for the person holding it."""


@dataclass(frozen=True)
class RunFile:
    """A run as a file describes it, with its weights (CPU tensors)."""

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
            "metrics": [{c: m.get(c) for c in METRIC_COLUMNS} for m in metrics],
        }
    )


def encode_snapshots(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _snapshots(meta: dict[str, str], num_epochs: int) -> bytes | None:
    """The embedded snapshots file if it reads as safetensors with epoch keys, else None: a
    damaged one costs only the scrubbing, never the import."""
    from safetensors.torch import load

    try:
        data = base64.b64decode(meta[EPOCHS_KEY], validate=True)
        keys = list(load(data))
    except Exception:  # noqa: BLE001 - KeyError, binascii.Error, SafetensorError …
        return None
    epochs = [SNAPSHOT_KEY.fullmatch(k) for k in keys]
    if not keys or not all(m and int(m.group(1)) <= num_epochs for m in epochs):
        return None
    return data


def read_metadata(data: bytes, name: str = "upload") -> dict[str, str]:
    """The safetensors header's ``__metadata__`` (8 bytes of length, then JSON).

    Raises:
        RunFileError: the bytes are not a safetensors file.
    """
    not_st = f"“{name}” is not a safetensors file"
    if len(data) < 8:
        raise RunFileError(f"{not_st} (it is {len(data)} bytes long).")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(MAX_HEADER_BYTES, len(data) - 8):
        raise RunFileError(f"{not_st} (its header length does not fit the file).")
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, ValueError):
        raise RunFileError(f"{not_st} (its header is not JSON).") from None
    if not isinstance(header, dict):
        raise RunFileError(f"{not_st} (its header is not a JSON object).")
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def _metrics(rows, num_epochs: int) -> list[dict]:
    if not isinstance(rows, list):
        raise ValueError("metrics is not a list")
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or row.get("epoch") != i:
            raise ValueError(f"epoch {i} is missing or out of order")
        values = {c: row.get(c) for c in METRIC_COLUMNS}
        for c, v in values.items():
            if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
                raise ValueError(f"epoch {i}: {c} is not a number")
        out.append(values)
    if len(out) > num_epochs:
        raise ValueError(f"{len(out)} epochs of metrics for a run of {num_epochs}")
    return out


def read_run_file(data: bytes, name: str = "upload") -> RunFile:
    """Check and read a run file: its description, then weights that fit the network it names.

    Raises:
        RunFileError: not safetensors, weights without a cnnviz run, a damaged description,
            or weights that do not belong to the described network.
    """
    from safetensors.torch import load

    from cnnviz.models import build_model

    meta = read_metadata(data, name)
    if RUN_KEY not in meta:
        raise RunFileError(
            f"“{name}” holds weights but no cnnviz run: only files from the Training page's "
            "“Weights (.safetensors)” button (or a run store's checkpoints folder) can be "
            "imported."
        )
    try:
        d = json.loads(meta[RUN_KEY])
        if int(d.get("version", 0)) > FILE_VERSION:
            raise RunFileError(
                f"“{name}” comes from a newer cnnviz (run file version {d['version']}); "
                "update cnnviz to import it."
            )
        config = RunConfig.from_dict(d["config"])
        config.validate()
        run = dict(
            run_id=str(d["run_id"]),
            name=str(d["name"]),
            group=None if d.get("group") is None else str(d["group"]),
            preset=None if d.get("preset") is None else str(d["preset"]),
            status=str(d["status"]),
            config=config,
            created=float(d["created"]),
            device=None if d.get("device") is None else str(d["device"]),
            metrics=_metrics(d.get("metrics", []), config.num_epochs),
        )
    except RunFileError:
        raise
    except Exception as exc:  # KeyError, TypeError, ValueError from a damaged description
        raise RunFileError(
            f"“{name}” has a damaged run description ({type(exc).__name__}: {exc})."
        ) from exc
    if not (run["run_id"].isalnum() and 0 < len(run["run_id"]) <= 32):
        raise RunFileError(f"“{name}” has a damaged run description (run id {run['run_id']!r}).")
    try:
        tensors = load(data)
    except Exception as exc:  # SafetensorError: truncated or inconsistent data
        raise RunFileError(
            f"The weights in “{name}” cannot be read ({type(exc).__name__}: {exc}); the file "
            "may be cut short."
        ) from exc
    with torch.device("meta"):
        expected = build_model(config.spec).state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    wrong = [
        k
        for k, v in expected.items()
        if k in tensors and (tensors[k].shape, tensors[k].dtype) != (v.shape, v.dtype)
    ]
    if missing or extra or wrong:
        first = (missing or extra or wrong)[0]
        raise RunFileError(
            f"The weights in “{name}” do not fit the {config.spec.family} network it describes "
            f"({len(missing)} missing, {len(extra)} unexpected, {len(wrong)} of the wrong "
            f"shape or type; first: {first})."
        )
    return RunFile(**run, tensors=tensors, snapshots=_snapshots(meta, config.num_epochs))
