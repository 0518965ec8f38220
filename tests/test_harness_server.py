"""The harness's server launcher when its port is taken before Streamlit binds it (tests run in
several processes side by side, each picking free ports): it starts on another free port."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from cnnviz_testing.server import StreamlitServer

pytestmark = pytest.mark.slow  # starts Streamlit (seconds)


def test_a_taken_port_is_given_up_for_another(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("import streamlit as st\n\nst.write('up')\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = StreamlitServer(tmp_path / "home", app_dir=app)
        server.port, server.url = port, f"http://127.0.0.1:{port}"  # as if taken meanwhile
        try:
            server.start()
            assert server.port != port
            assert server.url == f"http://127.0.0.1:{server.port}"
            with urllib.request.urlopen(server.url + "/_stcore/health", timeout=10) as r:
                assert r.status == 200
            assert "is not available" not in server.log()  # the log is the last try's
        finally:
            server.stop()
    assert server.proc is None


def test_a_server_that_fails_otherwise_still_says_why(tmp_path):
    app = tmp_path / "app"
    app.mkdir()  # no app.py: Streamlit exits at once
    server = StreamlitServer(tmp_path / "home", app_dir=app)
    with pytest.raises(RuntimeError, match="streamlit exited"):
        server.start(timeout_s=60)
    assert server.proc is None
