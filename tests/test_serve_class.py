"""The lecture hall's nginx config: made from deploy/nginx.conf, accepted by Debian's nginx
(``nginx -t``), and carrying what the set-up relies on (stickiness, the upload limit, passive
health checks, the loopback address)."""

from __future__ import annotations

import re
import tomllib

import pytest

from cnnviz import serve_class
from cnnviz.serve_class import HallError, LectureHall, check_config, render_config
from cnnviz_testing import REPO

pytestmark = pytest.mark.unit


@pytest.fixture
def nginx():
    if not serve_class.Path(serve_class.NGINX).exists():
        pytest.fail("Debian's nginx is not installed: run `make setup` (it installs nginx-light).")


def test_the_generated_config_passes_nginx_t(nginx, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_config([8502, 8503, 8504], "127.0.0.1:8501", tmp_path, as_root=False))
    check_config(conf, tmp_path)  # raises with nginx's words when it refuses
    text = conf.read_text()
    assert "@@" not in text
    assert re.findall(r"server 127\.0\.0\.1:(\d+) max_fails=1 fail_timeout=\d+s;", text) == [
        "8502", "8503", "8504",
    ]  # fmt: skip
    assert "listen 127.0.0.1:8501;" in text
    assert "hash $cnnviz_route consistent;" in text
    assert "proxy_next_upstream_tries 3;" in text
    assert not re.search(r"^user ", text, re.M)  # not root: no user line


def test_the_upload_limit_is_the_apps(tmp_path):
    with (REPO / ".streamlit" / "config.toml").open("rb") as f:
        mb = tomllib.load(f)["server"]["maxUploadSize"]
    text = render_config([9000], "127.0.0.1:8501", tmp_path, as_root=False)
    assert f"client_max_body_size {mb}m;" in text
    assert f"larger than the server takes ({mb} MB)" in text


def test_as_root_the_workers_run_as_nobody(nginx, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_config([9000], "[::1]:8501", tmp_path, as_root=True))
    check_config(conf, tmp_path)
    assert re.search(r"^user nobody nogroup;$", conf.read_text(), re.M)
    assert "listen [::1]:8501;" in conf.read_text()


def test_nginx_t_refuses_a_broken_config(nginx, tmp_path):
    conf = tmp_path / "nginx.conf"
    good = render_config([9000], "127.0.0.1:8501", tmp_path, as_root=False)
    conf.write_text(good.replace("hash $cnnviz_route consistent;", "hash;"))
    with pytest.raises(HallError, match="nginx refuses"):
        check_config(conf, tmp_path)


def test_a_field_left_unfilled_is_refused(tmp_path, monkeypatch):
    template = tmp_path / "nginx.conf"
    template.write_text(serve_class.TEMPLATE.read_text() + "\n# @@NEW_FIELD@@\n")
    monkeypatch.setattr(serve_class, "TEMPLATE", template)
    with pytest.raises(HallError, match="does not fill in"):
        render_config([9000], "127.0.0.1:8501", tmp_path, as_root=False)


def test_no_process_is_refused(nginx):
    with pytest.raises(HallError, match="1 or more"):
        LectureHall(processes=0)


def test_print_config_writes_the_config_and_leaves_nothing(nginx, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(serve_class.tempfile, "tempdir", str(tmp_path))  # its prefix goes here
    assert serve_class.main(["--print-config", "--processes", "3", "--port", "8600"]) == 0
    out = capsys.readouterr().out
    assert out.count("max_fails=1") == 3 and "listen 127.0.0.1:8600;" in out
    assert f"pid {tmp_path}/cnnviz_hall_" in out
    assert not list(tmp_path.iterdir())
