"""AppTest: a section of a lesson rerun on its own (a fragment) after another section took
away the input it works on. A fragment's own rerun does not ask whether the input is still
there, as the page's full run does: the Pooling page's shift section, moved while the section
above it holds a bad upload, says nothing of it and draws nothing from an input that is gone."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fragpages import page
from PIL import Image

from cnnviz.classroom import User
from conftest import assert_clean

pytestmark = pytest.mark.apptest
ANN = User("a" * 16)


def png(side: int = 24) -> bytes:
    pixels = (np.arange(side * side).reshape(side, side) * 7 % 256).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def test_the_shift_section_moved_after_a_bad_upload_above_it_stays_quiet():
    at = page("pooling.py", ANN, pool_input="picker", pool_source="upload")
    at.run()
    at.file_uploader(key="pool_upload").upload("stripes.png", png(), "image/png").run()
    assert_clean(at)
    assert "pool_shift_chart" in {c.key for c in at.get("plotly_chart")}  # section 3 is drawn
    assert len(at.session_state["fragments"]) == 2
    # A bad file lands in section 2 while section 3 is on screen, then section 3 is moved:
    # both sections rerun on their own, section 2 first.
    at.file_uploader(key="pool_upload").upload("notes.png", b"not a picture\n", "image/png")
    at.session_state["replay"] = True
    at.run()
    assert_clean(at)
    assert any("notes" in e.value for e in at.error)  # section 2 says what the file is
    assert "pool_shift_chart" not in {c.key for c in at.get("plotly_chart")}
