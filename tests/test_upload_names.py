"""Names someone else chose (an uploaded picture's, a run file's, the run a file describes) with
a NUL, line breaks or a bidi override: every page shows them on one line without those
characters, and nothing raises, neither Streamlit reading the upload nor the store keeping
the run."""

from __future__ import annotations

import io
import json
import struct

import pytest
from PIL import Image

from cnnviz import images
from cnnviz.errors import plain_name
from cnnviz.runfile import RUN_KEY, RunFileError, read_run_file
from cnnviz.runs import RunStore
from conftest import app_test, assert_clean
from ui.common import md_escape

HOSTILE = {  # a name as uploaded → as the pages show it
    "a\x00b.png": "ab.png",
    "a\nb\r.png": "a b .png",
    "\u202egnp.exe.png": "gnp.exe.png",
    "x\u2066y\u2069\x1b[31m.png": "xy[31m.png",
}
BAD = ("\x00", "\n", "\r", "\x1b", "\u202e", "\u2066", "\u2069")


def clean(text: str, lines: bool = False) -> bool:
    """No NUL, control or bidi character (a page's text: no line break but between lines)."""
    return not any(c in text for c in BAD if not (lines and c == "\n"))


def picture(mode: str = "LA") -> bytes:
    """A PNG with an alpha channel: its upload gets a note that quotes the file's name."""
    buf = io.BytesIO()
    Image.new(mode, (30, 20), (0, 255)).save(buf, "PNG")
    return buf.getvalue()


def shown(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in at.get(kind)]  # fmt: skip
    return "\n".join(parts + [m.help or "" for m in at.metric])


@pytest.mark.unit
@pytest.mark.parametrize(("name", "expected"), HOSTILE.items())
def test_a_name_reads_on_one_line_without_control_or_bidi_characters(name, expected):
    assert plain_name(name) == expected
    assert plain_name("\x00\u202e") == "?"  # nothing left
    assert plain_name("\ud800ok") == "ok"  # a lone surrogate, which UTF-8 cannot carry
    assert plain_name("n" * 200) == "n" * 79 + "…"


@pytest.mark.unit
@pytest.mark.parametrize("name", HOSTILE)
def test_the_library_quotes_a_hostile_name_cleanly(name):
    with pytest.raises(images.ImageError) as got:
        images.load_upload(b"", name)
    assert str(got.value) == f"“{HOSTILE[name]}” is empty."
    assert got.value.params["name"] == HOSTILE[name]
    with pytest.raises(RunFileError) as got:
        read_run_file(b"xx", name.replace(".png", ".safetensors"))
    assert clean(str(got.value)) and HOSTILE[name].replace(".png", "") in str(got.value)


def renamed(data: bytes, name: str) -> bytes:
    """The run file with the run it describes renamed (past the store's own checks)."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    described = json.loads(header["__metadata__"][RUN_KEY])
    described["name"] = name
    header["__metadata__"][RUN_KEY] = json.dumps(described)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


@pytest.mark.unit
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("name", [n.replace(".png", ".safetensors") for n in HOSTILE])
def test_a_run_file_with_a_hostile_name_is_imported_and_kept_clean(tmp_path, trained_run, name):
    store = RunStore(tmp_path / "store")
    data = renamed(trained_run[2], "\u202eomed ssalc")  # the run's own name, from the file
    run_id, added = store.import_run(data, name)
    assert added
    rec = store.get(run_id)
    assert rec.name == "omed ssalc" and rec.epochs_done == 3
    assert rec.notice.startswith(f"Imported from {plain_name(name)}.") and clean(rec.notice)
    assert store.load_state_dict(run_id)  # its weights came in


@pytest.mark.apptest
@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("good", [True, False], ids=["picture", "not a picture"])
def test_an_upload_with_a_hostile_name_is_shown_cleanly(name, good):
    at = app_test("cross_correlation.py")
    at.query_params["xcorr_source"] = "upload"
    at.run()
    at.file_uploader(key="xcorr_upload").upload(name, picture() if good else b"nope", "image/png")
    at.run()
    assert_clean(at)
    text = shown(at)
    assert clean(text, lines=True), text
    said = "transparent areas were put on a white background" if good else "is not an image"
    assert said in text
    assert md_escape(HOSTILE[name]) in text


@pytest.mark.apptest
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("name", HOSTILE)
def test_the_insight_uploader_shows_a_hostile_name_cleanly(tmp_path, monkeypatch, trained_run,
                                                           name):  # fmt: skip
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    RunStore(tmp_path / "home").import_run(trained_run[2], "run.safetensors")
    at = app_test("insight.py").run()
    at.segmented_control(key="insight_source").set_value("Upload").run()
    at.file_uploader(key="insight_upload").upload(name, picture(), "image/png").run()
    assert_clean(at)
    text = shown(at)
    assert clean(text, lines=True), text
    assert "transparent areas" in text
    assert md_escape(HOSTILE[name]) in text
    alts = [img.alt for i in at.get("image") for img in i.proto.imgs]
    assert any(f"{HOSTILE[name]}" in a for a in alts) and all(clean(a) for a in alts), alts


@pytest.mark.apptest
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("name", [n.replace(".png", ".safetensors") for n in HOSTILE])
@pytest.mark.parametrize("good", [True, False], ids=["run file", "not a run file"])
def test_the_import_box_takes_a_hostile_name(tmp_path, monkeypatch, trained_run, name, good):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    at = app_test("training.py").run()
    at.file_uploader(key="train_import").upload(name, trained_run[2] if good else b"xx").run()
    assert_clean(at)
    said = [s.value for s in at.success] if good else [e.value for e in at.error]
    assert said and all(clean(s) for s in said), said
    if good:
        store = RunStore(tmp_path / "home")
        (summary,) = store.list_runs()
        assert clean(store.get(summary.run_id).notice)
