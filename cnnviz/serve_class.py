"""A lecture hall: several Streamlit server processes over one run store, behind nginx.

``python -m cnnviz.serve_class --processes 2`` (``make serve-class PROCESSES=2``) starts N
``streamlit run app.py`` processes, each on a free loopback port and over the same store
(``CNNVIZ_HOME``), and Debian's nginx in front of them on ``--port`` (8501, where ``make run``
serves one process). nginx runs as the user who started the hall, from a prefix of its own (a
temporary folder with its config, pid, logs and temp files), with the config made from the
template ``deploy/nginx.conf``: sticky sessions by a routing cookie (websocket and uploads
reach the process that holds the page's session), the upload limit of ``.streamlit/config.toml``,
and passive health checks, so a process that dies is left out and its students reconnect to
another. Everything listens on the loopback address unless ``--address`` names another.

A process that dies is not restarted: its students are on the others by then, and a restarted
process would take their routing keys back (their next upload would reach a process that does
not know their session). The hall says so and serves on with the rest; it ends when none is
left. Ctrl-C (or SIGTERM) ends the app processes, their run workers and nginx.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
NGINX = "/usr/sbin/nginx"
START_TIMEOUT_S = 180  # a busy 2-core machine imports Streamlit, torch and plotly in tens of s
FAIL_TIMEOUT_S = 10  # how long nginx leaves out a process that failed a connection


class HallError(RuntimeError):
    """The hall could not start (nginx missing, a bad address, a process that did not come up)."""


def upload_limit_mb(config: Path = STREAMLIT_CONFIG) -> int:
    """Streamlit's upload limit (``server.maxUploadSize``, MiB) as the app is configured."""
    with config.open("rb") as f:
        return int(tomllib.load(f).get("server", {}).get("maxUploadSize", 200))


def free_port(address: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _listen(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def render_config(
    ports: list[int], listen: str, prefix: Path | str, *, as_root: bool, logs: Path | None = None
) -> str:
    """The nginx config for app processes on ``ports`` (loopback), nginx listening on ``listen``
    (``address:port``), with its pid and temp files under ``prefix``, its logs under ``logs``
    (default: ``prefix``)."""
    if not ports:
        raise HallError("a lecture hall needs at least one server process")
    upload = upload_limit_mb()
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;" for p in ports
    )
    # As root, nginx's workers would run as `nobody` (nginx makes the temp folders theirs);
    # as anyone else, they run as that user and a `user` line would only be warned about.
    fields = {
        "USER": "user nobody nogroup;" if as_root else "",
        "PREFIX": str(prefix),
        "LOGS": str(logs or prefix),
        "SERVERS": servers,
        "LISTEN": listen,
        "UPLOAD_MB": str(upload),
        "PROCESSES": str(len(ports)),
    }
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace(f"@@{name}@@", value)
    if "@@" in text:
        raise HallError(f"{TEMPLATE} has a field serve_class does not fill in")
    return text


def check_config(conf: Path, prefix: Path) -> str:
    """``nginx -t`` on a generated config; returns nginx's report, raises on a bad config."""
    r = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if r.returncode != 0:
        raise HallError(f"nginx refuses {conf}:\n{r.stderr.strip()}")
    return r.stderr


def _own_session() -> None:
    """In a child: a session of its own (Ctrl-C in the terminal reaches only the hall, which
    ends the children in order), and SIGTERM when the hall itself dies, even by SIGKILL (Linux's
    parent-death signal), so no app process or nginx outlives it."""
    import ctypes

    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _kill_group(proc: subprocess.Popen, wait_s: float) -> None:
    """End a process started in a session of its own and everything in its group (a server's
    run workers): SIGTERM, then SIGKILL after ``wait_s``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


class LectureHall:
    """N app processes over one store and nginx in front. :meth:`start`, then :meth:`stop`
    (or use it as a context manager).

    ``port`` 0 picks a free port; ``address`` is where nginx listens (the app processes always
    listen on 127.0.0.1); ``origins`` are the addresses the students' browsers use, when
    another site serves the page (Streamlit's ``corsAllowedOrigins``); ``env`` adds to each app
    process's environment (``CNNVIZ_HOME`` among it: the store); ``app_dir`` serves another
    checkout; the app processes' logs go to ``log_dir`` (default: the prefix, beside nginx's);
    the prefix is removed on stop unless ``keep_logs``.
    """

    def __init__(
        self,
        processes: int = 2,
        port: int = 8501,
        address: str = "127.0.0.1",
        origins: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        app_dir: Path | str = ROOT,
        log_dir: Path | str | None = None,
        keep_logs: bool = False,
        streamlit_args: tuple[str, ...] = (),
    ) -> None:
        if processes < 1:
            raise HallError("--processes must be 1 or more")
        if not Path(NGINX).exists():
            raise HallError(
                "nginx is not installed: run `make setup` (it installs Debian's nginx-light)."
            )
        self.processes = processes
        self.address = address
        self.port = port or free_port(address)
        self.origins = origins
        self.env = dict(env or {})
        self.app_dir = Path(app_dir)
        self.streamlit_args = tuple(streamlit_args)
        self.prefix = Path(tempfile.mkdtemp(prefix="cnnviz_hall_"))
        self.prefix.chmod(0o711)  # nginx's workers (as root: nobody) reach their temp folders
        self.log_dir = Path(log_dir) if log_dir else self.prefix
        self.ports = [free_port() for _ in range(processes)]
        self.apps: list[subprocess.Popen | None] = []
        self.nginx: subprocess.Popen | None = None
        self._logs: list = []
        self.keep_logs = keep_logs
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)  # noqa: S104
        self.url = f"http://{_listen(host, self.port)}"

    # -- starting

    def config(self) -> str:
        listen = _listen(self.address, self.port)
        return render_config(
            self.ports, listen, self.prefix, as_root=os.geteuid() == 0, logs=self.log_dir
        )

    def start(self, timeout_s: float = START_TIMEOUT_S) -> LectureHall:
        """Write and check nginx's config, start the app processes and nginx, and return once
        every process answers its health check through its own port and nginx answers."""
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            conf = self.prefix / "nginx.conf"
            conf.write_text(self.config())
            check_config(conf, self.prefix)
            env = self._app_env()
            for i, port in enumerate(self.ports):
                self.apps.append(self._start_app(i, port, env))
            self.nginx = self._popen(
                [NGINX, "-p", str(self.prefix), "-e", str(self.log_dir / "nginx-error.log"),
                 "-c", str(conf)], self.log_dir / "nginx.out",
            )  # fmt: skip
            deadline = time.monotonic() + timeout_s
            for i, port in enumerate(self.ports):
                self._wait_health(f"http://127.0.0.1:{port}", f"process {i + 1}", deadline)
            self._wait_health(f"http://127.0.0.1:{self.port}", "nginx", deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _app_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        # Every process behind this proxy: the client's address comes from X-Forwarded-For
        # (nginx replaces it; a browser cannot forge it), the same cookie secret everywhere.
        env.setdefault("CNNVIZ_TRUSTED_PROXY", "127.0.0.1")
        env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        return env

    def _start_app(self, i: int, port: int, env: dict[str, str]) -> subprocess.Popen:
        args = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            # Streamlit's protections stay on behind the proxy: nginx passes the browser's Host
            # (same origin) and the XSRF cookie; other sites only when the teacher names them.
            "--server.enableCORS", "true", "--server.enableXsrfProtection", "true",
        ]  # fmt: skip
        if self.origins:
            args += ["--server.corsAllowedOrigins", ",".join(self.origins)]
        return self._popen([*args, *self.streamlit_args], self.log_dir / f"app-{i + 1}.log", env)

    def _popen(self, args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        f = open(log, "w")  # noqa: SIM115 - closed by stop()
        self._logs.append(f)
        # stop() ends each child's whole group (its run workers included)
        return subprocess.Popen(
            args, cwd=self.app_dir, env=env, stdout=f, stderr=subprocess.STDOUT,
            preexec_fn=_own_session,
        )  # fmt: skip

    def _wait_health(self, url: str, what: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            dead = [p for p in (*self.apps, self.nginx) if p is not None and p.poll() is not None]
            if dead:
                raise HallError(f"{what} did not start; the logs are in {self.log_dir}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise HallError(f"{what} did not answer in time; the logs are in {self.log_dir}")

    # -- while it runs

    @property
    def pids(self) -> list[int | None]:
        """Each app process's pid, None for one that has ended."""
        return [p.pid if p is not None and p.poll() is None else None for p in self.apps]

    def process_of(self, answered: str) -> int:
        """The index of the app process at ``answered`` (nginx's ``X-Cnnviz-Process``)."""
        port = int(answered.rsplit(",", 1)[-1].strip().rsplit(":", 1)[-1])
        return self.ports.index(port)

    def route_to(self, i: int, tries: int = 500) -> str:
        """A routing cookie's value that nginx sends to app process ``i`` (to pin a browser
        or a load client to one process)."""
        for k in range(tries):
            req = urllib.request.Request(self.url + "/_stcore/health")
            req.add_header("Cookie", f"cnnviz_route=pin{k}")
            with urllib.request.urlopen(req, timeout=30) as r:
                if self.process_of(r.headers["X-Cnnviz-Process"]) == i:
                    return f"pin{k}"
        raise HallError(f"no routing cookie reaches process {i + 1}")

    def kill(self, i: int) -> None:
        """SIGKILL app process ``i`` alone (its run workers are left as a crash leaves them)."""
        proc = self.apps[i]
        if proc is not None:
            proc.kill()
            proc.wait()

    def serve(self) -> int:
        """Wait for Ctrl-C or SIGTERM, saying when an app process or nginx ends."""
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.append(True))
        said: set[int] = set()
        while not stop:
            for i, p in enumerate(self.apps):
                if p is not None and p.poll() is not None and i not in said:
                    said.add(i)
                    left = sum(q is not None and q.poll() is None for q in self.apps)
                    print(f"cnnviz: server process {i + 1} (port {self.ports[i]}) ended "
                          f"({p.returncode}); {left} serve on", flush=True)  # fmt: skip
            if len(said) == len(self.apps):
                print("cnnviz: no server process is left; stopping", flush=True)
                return 1
            if self.nginx is not None and self.nginx.poll() is not None:
                log = self.log_dir / "nginx-error.log"
                print(f"cnnviz: nginx ended; its log: {log}", flush=True)
                return 1
            time.sleep(0.5)
        return 0

    # -- stopping

    def stop(self) -> None:
        """End nginx, then every app process and its run workers; remove the prefix unless
        the logs are kept."""
        if self.nginx is not None:
            _kill_group(self.nginx, 10)
            self.nginx = None
        for p in self.apps:
            if p is not None:
                _kill_group(p, 20)
        self.apps = []
        for f in self._logs:
            f.close()
        self._logs = []
        if not self.keep_logs:
            shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> LectureHall:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cnnviz.serve_class", description=__doc__.split("\n")[0]
    )
    p.add_argument("--processes", type=int, default=2, help="Streamlit server processes")
    p.add_argument("--port", type=int, default=8501, help="where nginx listens (0: a free one)")
    p.add_argument("--address", default="127.0.0.1",
                   help="where nginx listens: 0.0.0.0 for the class's network "
                        "(default: the loopback address)")  # fmt: skip
    p.add_argument("--origin", action="append", default=[],
                   help="an address the students open, e.g. https://cnnviz.school.example, when "
                        "another site (TLS in front) serves the page; repeatable")  # fmt: skip
    p.add_argument("--print-config", action="store_true",
                   help="print the nginx config this would run, and exit")  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        hall = LectureHall(
            args.processes, args.port, args.address, tuple(args.origin), keep_logs=True
        )
    except (HallError, OSError) as exc:
        print(f"cnnviz: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(hall.config())
        hall.keep_logs = False
        hall.stop()
        return 0
    print(f"cnnviz: starting {args.processes} server processes and nginx …", flush=True)

    def interrupt(*_) -> None:  # SIGTERM while starting: stop what has started, as Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        hall.start()
    except (HallError, OSError) as exc:
        print(f"cnnviz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    ports = ", ".join(str(p) for p in hall.ports)
    print(f"cnnviz: a lecture hall at {hall.url} ({args.processes} processes on 127.0.0.1 "
          f"ports {ports}; the logs in {hall.prefix}). Ctrl-C stops it.", flush=True)  # fmt: skip
    try:
        return hall.serve()
    finally:
        print("cnnviz: stopping the server processes and nginx", flush=True)
        hall.stop()


if __name__ == "__main__":
    sys.exit(main())
