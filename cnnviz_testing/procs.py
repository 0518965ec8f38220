"""Processes seen through ``/proc`` (psutil is not installed): memory, CPU time, descendants."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

_GONE = (FileNotFoundError, ProcessLookupError)


# The start of a benchmark's child script that measures its own memory (a ``str.format``
# template, so literal braces after it are doubled): ``rss()``, its resident set in bytes now,
# and ``data``, the bytes of the file at ``{path}``, read before any baseline is taken.
RSS_CHILD = """
import json, os, sys, threading, time
PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE
data = open({path!r}, "rb").read()
"""


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def rss_mb(pid: int) -> float | None:
    """Resident memory of one process in MB; None once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except _GONE:
        return None
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None  # a zombie has no VmRSS


def cpu_ms(pid: int) -> float | None:
    """User + system CPU time of one process so far (every thread), in ms; None once gone."""
    try:
        f = _stat(pid)
    except _GONE:
        return None
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def proc_table() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU ms so far)} of every process that can be read."""
    out, tick = {}, 1000 / os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = _stat(int(d.name))
            except OSError:
                continue  # ended meanwhile
            out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) * tick)
    return out


def descendants(pid: int, table: dict[int, tuple[int, float]] | None = None) -> list[int]:
    """Every live process below ``pid`` (children, their children, …)."""
    children: dict[int, list[int]] = {}
    for child, (parent, _) in (table if table is not None else proc_table()).items():
        children.setdefault(parent, []).append(child)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (0 for those gone)."""
    return sum(rss_mb(p) or 0.0 for p in [pid, *descendants(pid)])


def descendants_cpu_ms(pid: int, exclude: set[int] = frozenset()) -> float:
    """CPU time so far of every process below ``pid``, skipping ``exclude`` and what they
    started (e.g. this benchmark's browser share, servers excluded)."""
    table = proc_table()
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        if p in exclude:
            continue
        total += table[p][1]
        todo += children.get(p, [])
    return total


def cpu_busy(cpus: list[int]) -> tuple[float, float]:
    """(busy, total) jiffies of these CPUs from ``/proc/stat``, for how busy a core was."""
    busy = total = 0.0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *vals = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            v = [int(x) for x in vals[:8]]
            busy += sum(v) - (v[3] + v[4])  # less idle and iowait
            total += sum(v)
    return busy, total


def pin(pid: int, cpus: set[int]) -> None:
    """Move every thread of a process to ``cpus`` (threads created later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.sched_setaffinity(int(task.name), cpus)


def children_running(parent: int, marker: bytes) -> list[int]:
    """The direct children of ``parent`` whose command line contains ``marker``."""
    out = []
    for pid, (ppid, _) in proc_table().items():
        if ppid != parent:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmd:
            out.append(pid)
    return out


class RssSampler:
    """A thread that reads the resident memory of named processes every ``every_s`` seconds:
    ``samples[name]`` is a list of (seconds since start, MB). Use it as a context manager."""

    def __init__(self, pids: dict[str, int], every_s: float) -> None:
        self.pids = dict(pids)
        self.every_s = every_s
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.t0 = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                mb = rss_mb(pid)
                if mb is not None:
                    self.samples[name].append((time.monotonic() - self.t0, mb))
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
