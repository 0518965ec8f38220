"""The one way the tests and the benchmarks serve the app: ``streamlit run app.py`` on a free
loopback port, with a run store (``CNNVIZ_HOME``) of its own."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cnnviz_testing import REPO
from cnnviz_testing.procs import descendants

START_TIMEOUT_S = 120  # a busy 2-core machine imports Streamlit in tens of seconds
PORT_TRIES = 5  # a free port can be taken before Streamlit binds it (tests run side by side)


class PortTaken(RuntimeError):
    """Streamlit could not bind the port it was given: something took it first."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on 127.0.0.1 and a free port.

    ``home`` is the run store (a temporary folder, removed on :meth:`stop`, when not given);
    ``env`` adds to this process's environment, ``args`` to ``streamlit run``'s options;
    ``app_dir`` serves another checkout with this interpreter; ``cpus`` pins the server (and
    what it starts) to those CPUs. The log goes to ``log_path`` (``home/server.log``).
    Use it as a context manager, or :meth:`start` then :meth:`stop`.
    """

    def __init__(
        self,
        home: Path | str | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | tuple[str, ...] = (),
        app_dir: Path | str = REPO,
        cpus: set[int] | None = None,
        log_path: Path | str | None = None,
    ) -> None:
        self._tmp = None if home else tempfile.TemporaryDirectory(prefix="cnnviz_server_")
        self.home = Path(home) if home else Path(self._tmp.name)
        self.env = dict(env or {})
        self.args = list(args)
        self.app_dir = Path(app_dir)
        self.cpus = cpus
        self.log_path = Path(log_path) if log_path else self.home / "server.log"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout_s: float = START_TIMEOUT_S) -> StreamlitServer:
        """Start the server and return once it answers its health check. A port taken between
        :func:`free_port` and Streamlit's bind (another test process, a browser's outgoing
        connection) is given up for another free one."""
        for _ in range(PORT_TRIES - 1):
            try:
                return self._start(timeout_s)
            except PortTaken:
                self.port = free_port()
                self.host = f"127.0.0.1:{self.port}"
                self.url = f"http://{self.host}"
        return self._start(timeout_s)

    def _start(self, timeout_s: float) -> StreamlitServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CNNVIZ_HOME": str(self.home), **self.env, "PYTHONUNBUFFERED": "1"}
        cpus = self.cpus
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", *self.args],
            cwd=self.app_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log()
                self._end()
                if f"Port {self.port} is not available" in log:
                    raise PortTaken(self.port)
                self.stop()
                raise RuntimeError(f"streamlit exited:\n{log}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:  # not listening yet
                time.sleep(0.3)
        log = self.log()
        self.stop()
        raise RuntimeError(f"streamlit did not start in {timeout_s:.0f} s:\n{log}")

    def log(self, tail: int = 3000) -> str:
        """The end of the server's log."""
        return self.log_path.read_text()[-tail:] if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Every live process the server started (run workers and theirs)."""
        return descendants(self.pid) if self.proc is not None else []

    def stop(self, interrupt_wait_s: float | None = None) -> None:
        """Stop the server: SIGINT first when ``interrupt_wait_s`` is given (Streamlit shuts
        down as on Ctrl+C, and atexit handlers run), then SIGTERM, then SIGKILL; then any run
        worker it left behind; then the temporary run store."""
        self._end(interrupt_wait_s)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _end(self, interrupt_wait_s: float | None = None) -> None:
        """The process, any run worker it left behind, and the log (the store stays)."""
        if self.proc is not None:
            kids = set(self.children())
            if interrupt_wait_s is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(interrupt_wait_s)
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            for pid in kids:  # only ours: a worker of this store, or a cnnviz process
                with contextlib.suppress(ProcessLookupError, PermissionError, FileNotFoundError):
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                    if str(self.home).encode() in cmd or b"cnnviz" in cmd:
                        os.kill(pid, signal.SIGKILL)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
