"""A run store's files: each run's weights and first-layer snapshots, as safetensors.

``checkpoints/<run>.safetensors`` holds the weights (and, in its metadata, the run itself: see
:mod:`cnnviz.runfile`); ``checkpoints/<run>.epochs.safetensors`` the first stage after every
epoch (a few KB each). Files are only ever read as tensors (safetensors executes no code) and
written atomically: to a temporary named after the writing process, then renamed. A process
killed mid-write leaves only its temporary, which the next store to open removes.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from pathlib import Path

import torch

from cnnviz.errors import KeyedError

log = logging.getLogger("cnnviz.runs")

SNAPSHOT_KEY = re.compile(r"epoch(\d{1,6})/(.+)")  # epoch numbers are small: no 5,000 digits
TMP_NAME = re.compile(r".+\.(\d+)-[0-9a-f]{8}\.tmp")  # <file>.<pid>-<random>.tmp
OLD_TMP_AGE_S = 600.0  # temporaries without a pid (older cnnviz): removed once this old


UNREADABLE = {"checkpoint": "checkpoint.unreadable", "epoch snapshots": "snapshots.unreadable"}


class CheckpointError(KeyedError, RuntimeError):
    """A checkpoint file is missing or unreadable; the message names it (``key`` and
    ``params``: a page says it in its language)."""


def _unreadable(path: Path, what: str, hint: str, exc: BaseException) -> CheckpointError:
    detail = f"{type(exc).__name__}: {exc}"
    return CheckpointError(
        f"The {what} {path.name} cannot be read ({detail}).{hint}",
        UNREADABLE.get(what), file=path.name, detail=detail,
    )  # fmt: skip


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (zombies count as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    return True


class Artifacts:
    """The ``checkpoints/`` folder of a run store."""

    def __init__(self, folder: Path):
        self.folder = folder

    def checkpoint_path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.safetensors"

    def snapshots_path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.epochs.safetensors"

    # -- writing ----------------------------------------------------------------------------
    def _tmp(self, path: Path) -> Path:
        self.ensure_folder()
        return path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")

    def ensure_folder(self) -> None:
        """Make the folder again when it went missing (someone cleaned up, a disk was
        remounted): every later write would fail otherwise, until a restart. What was in it is
        gone; the runs that lost their files say so when they are opened."""
        if self.folder.is_dir():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        log.warning("the checkpoints folder %s was missing; it was made again", self.folder)

    def write_bytes(self, path: Path, data: bytes) -> None:
        """``data`` as ``path``, atomically (a crash never leaves half a file)."""
        tmp = self._tmp(path)
        try:
            tmp.write_bytes(data)
            tmp.chmod(0o600)  # the store is this account's only
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def write_tensors(self, path: Path, run_id: str, tensors: dict, **metadata: str) -> Path:
        """safetensors, atomically, with ``run_id`` and ``metadata`` in its header."""
        from safetensors.torch import save_file

        tmp = self._tmp(path)
        try:
            save_file(tensors, str(tmp), metadata={"run_id": run_id, "format": "pt", **metadata})
            tmp.chmod(0o600)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    # -- reading ----------------------------------------------------------------------------
    def read_tensors(self, path: Path, what: str, hint: str = "") -> dict[str, torch.Tensor]:
        """Tensors only (no pickle is ever executed); {} when the file does not exist. A damaged
        file's error has the key :data:`UNREADABLE` gives ``what`` (its English text with
        ``hint`` is that key's in ui/locales/en/errors.py).

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        from safetensors.torch import load_file

        if not path.exists():
            return {}
        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:  # SafetensorError, OSError, ValueError …: said to the user
            raise _unreadable(path, what, hint, exc) from exc

    def check_tensors(self, path: Path, what: str, hint: str = "") -> bool:
        """Whether the file exists, having read only its header: a file cut short, grown, or
        not safetensors at all raises as :meth:`read_tensors` would, without loading a tensor.

        Raises:
            CheckpointError: the file exists but cannot be read as safetensors.
        """
        from safetensors import safe_open

        if not path.exists():
            return False
        try:
            with safe_open(str(path), framework="pt") as f:
                f.keys()
        except Exception as exc:  # noqa: BLE001 - as read_tensors: said to the user
            raise _unreadable(path, what, hint, exc) from exc
        return True

    # -- the first layer after every epoch ----------------------------------------------------
    def save_snapshot(self, run_id: str, epoch: int, tensors: dict[str, torch.Tensor]) -> None:
        """Add the first layer's state after ``epoch`` (0: before training) to the run's
        snapshot file, atomically; a few kilobytes per epoch."""
        path = self.snapshots_path(run_id)
        try:
            everything = self.read_tensors(path, "epoch snapshots")
        except CheckpointError as exc:
            log.warning("%s; it is replaced by a new one", exc)
            everything = {}  # a damaged file is replaced, not extended
        everything.update({f"epoch{epoch}/{k}": v.contiguous() for k, v in tensors.items()})
        self.write_tensors(path, run_id, everything)

    def snapshot_epochs(self, run_id: str) -> list[int]:
        """The epochs with a first-layer snapshot, ascending ([] for runs from before them or a
        file that cannot be read)."""
        from safetensors import safe_open

        path = self.snapshots_path(run_id)
        if not path.exists():
            return []
        try:
            with safe_open(str(path), framework="pt") as f:
                keys = list(f.keys())
        except Exception as exc:  # noqa: BLE001 - a damaged file: no scrubbing, said in the log
            log.warning("epoch snapshots %s cannot be read: %s", path.name, exc)
            return []
        return sorted({int(m.group(1)) for k in keys if (m := SNAPSHOT_KEY.fullmatch(k))})

    def load_snapshot(self, run_id: str, epoch: int) -> dict[str, torch.Tensor] | None:
        """The first layer's state after ``epoch``, or None if there is none."""
        prefix = f"epoch{epoch}/"
        got = {
            k.removeprefix(prefix): v
            for k, v in self.read_tensors(self.snapshots_path(run_id), "epoch snapshots").items()
            if k.startswith(prefix)
        }
        return got or None

    # -- housekeeping -----------------------------------------------------------------------
    def temporaries(self, run_id: str | None = None) -> list[Path]:
        pattern = f"{run_id}.*.tmp" if run_id else "*.tmp"
        return sorted(self.folder.glob(pattern))

    def clean_temporaries(self) -> list[Path]:
        """Remove what killed writers left behind: temporaries whose process is gone (or, from
        older versions without a pid in the name, that are older than ten minutes)."""
        removed = []
        now = time.time()
        for tmp in self.temporaries():
            m = TMP_NAME.fullmatch(tmp.name)
            try:
                stale = (
                    not pid_alive(int(m.group(1)))
                    if m
                    else now - tmp.stat().st_mtime > OLD_TMP_AGE_S
                )
                if stale:
                    tmp.unlink()
                    removed.append(tmp)
            except FileNotFoundError:
                continue  # its writer finished meanwhile
            except OSError as exc:
                log.warning("cannot remove the leftover %s: %s", tmp, exc)
        if removed:
            log.info("removed %d leftover temporary file(s) in %s", len(removed), self.folder)
        return removed

    def remove(self, run_id: str) -> None:
        """Delete a run's files, temporaries included."""
        for path in (self.checkpoint_path(run_id), self.snapshots_path(run_id)):
            path.unlink(missing_ok=True)
        for tmp in self.temporaries(run_id):
            tmp.unlink(missing_ok=True)

    def size(self, run_id: str) -> int:
        """Bytes on disk of a run's files."""
        total = 0
        for path in (self.checkpoint_path(run_id), self.snapshots_path(run_id)):
            try:
                total += path.stat().st_size
            except OSError:
                pass  # no such file: nothing on disk
        return total
