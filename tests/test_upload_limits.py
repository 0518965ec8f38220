"""Upload limits hold on the server, not only in the browser.

Streamlit's upload endpoint (``PUT /_stcore/upload_file/<session>/<file>``) does not know which
widget a file is for, so its one limit, ``server.maxUploadSize``, is set to the largest upload
a page takes (a ResNet-18 run file); each page then checks its own limit in Python on the
server (``cnnviz.images.MAX_UPLOAD_BYTES`` for pictures). Bigger run files go through
``python -m cnnviz import``, and the Training page says so.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cnnviz import images

REPO = Path(__file__).resolve().parents[1]


def server_limit_mb() -> int:
    with open(REPO / ".streamlit" / "config.toml", "rb") as f:
        return tomllib.load(f)["server"]["maxUploadSize"]


@pytest.mark.unit  # the library alone
def test_every_uploader_limit_is_within_the_servers():
    from ui.training import IMPORT_MB, TEXT

    limit = server_limit_mb()
    assert IMPORT_MB == limit  # the import box offers exactly what the server takes
    assert images.MAX_UPLOAD_BYTES <= limit * 2**20
    assert "python -m cnnviz import FILE" in TEXT["import_body"]
    # a ResNet-18 run file fits; VGG-11's (491 MB of weights) goes through the CLI
    from cnnviz.models import PRESETS, count_parameters

    assert count_parameters(PRESETS["ResNet-18"]) * 4 < limit * 2**20
    assert count_parameters(PRESETS["VGG-11"]) * 4 > limit * 2**20


PUT = """async ([url, headers, size]) => {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(size)]), "probe.safetensors");
    const r = await fetch(url, {method: "PUT", body: form, headers: headers});
    return r.status;
}"""


@pytest.mark.browser
def test_the_server_refuses_an_upload_over_its_limit(server, web):
    """The browser's own check bypassed: a PUT straight to the upload endpoint."""
    p = web.page
    web.goto(server)
    web.goto(f"{server}/training")
    p.get_by_text("Import a run").click()
    box = p.get_by_test_id("stExpander").filter(has_text="Import a run")
    with p.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as req:
        box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            files=[
                {
                    "name": "notes.safetensors",
                    "mimeType": "application/octet-stream",
                    "buffer": b"hello",
                }
            ]  # fmt: skip
        )
    url = req.value.url
    headers = {k: v for k, v in req.value.headers.items() if k.lower() == "x-xsrftoken"}
    limit = server_limit_mb() * 2**20
    assert p.evaluate(PUT, [url, headers, limit + 2**20]) == 413  # refused: too large
    assert p.evaluate(PUT, [url, headers, 2**20]) == 204  # the same request, smaller: taken
    web.bad_responses = [r for r in web.bad_responses if not r.startswith("413 ")]
    web.assert_clean()
