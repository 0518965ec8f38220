"""The shared image picker: every lesson page gets the same five sources through one call."""

from __future__ import annotations

import functools
import logging

import streamlit as st

from cnnviz import images
from cnnviz.data import TEXT_LABELS
from cnnviz.errors import plain_name
from ui.common import SHARE, class_names, data_or_message, keyed_choice, md_escape
from ui.i18n import message, texts

TEXT = texts("images")
log = logging.getLogger("cnnviz")
# What a picture uploader offers. Its MIME types make Streamlit leave the file's name alone:
# with extensions only, it refuses any other name (anim.gif, a drawing.svg) with an exception
# before the page runs. The browser's picker still offers PNG and JPEG files; what a file is
# comes from its content (cnnviz.images.load_upload), which says so of any other.
PICTURE_TYPES = ["png", "jpg", "jpeg", "image/png", "image/jpeg"]

SOURCES = ("stripes", "matrix", "fashion", "draw", "upload")  # keys; the catalog labels them
OLD_SOURCES = {  # what links made before the keys hold instead
    "Stripes 6×8 (d2l 7.2)": "stripes",
    "Matrix 0..8 (d2l 7.2)": "matrix",
    "Fashion-MNIST sample": "fashion",
    "Draw": "draw",
    "Upload": "upload",
}


def display_name(name: str) -> str:
    """A picked image's name as captions show it, in the page's language; an uploaded file's
    on one line, without control or bidi characters (cnnviz.errors.plain_name)."""
    return TEXT["names"].get(name) or plain_name(name)


def _keep_upload_names_readable() -> None:
    """Streamlit refuses an uploaded file whose name holds a NUL (a forged upload: no file
    system allows one) with an exception while it reads the uploader's value, before the page
    runs: the page would show a traceback. The NUL is dropped as the file arrives instead, for
    every uploader; the pages show the rest through :func:`display_name` or ``plain_name``."""
    try:
        from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    except ImportError:  # another Streamlit: its own checks stand
        return
    add = MemoryUploadedFileManager.add_file
    if getattr(add, "drops_nul", False):
        return

    @functools.wraps(add)
    def add_file(self, session_id, file):
        if "\0" in getattr(file, "name", ""):
            file = file._replace(name=file.name.replace("\0", ""))
        return add(self, session_id, file)

    add_file.drops_nul = True
    MemoryUploadedFileManager.add_file = add_file


_keep_upload_names_readable()


@st.cache_data(max_entries=16, show_spinner=False)
def _decode(data: bytes, name: str, max_side: int, color: bool):
    return images.load_upload(data, name, max_side=max_side, color=color)


def drawn_png(**canvas) -> bytes | None:
    """A drawing canvas (``st_canvas(**canvas)``, its picture returned) and the PNG bytes the
    browser sent of it; None when it sent none, or a value no canvas sends (a forged message:
    the component reads it without checks, and would raise). The bytes are the caller's to
    check before decoding (:func:`cnnviz.images.canvas_image`)."""
    from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

    try:
        result = st_canvas(return_image_data=True, **canvas)
        return None if result is None else result.image_bytes
    except (AttributeError, TypeError, KeyError, ValueError) as exc:  # binascii.Error too
        log.warning("canvas value ignored (%s: %s)", type(exc).__name__, exc)
        return None


def _canvas_ui(key: str) -> images.LoadedImage | None:
    size = st.slider(TEXT["draw_size"], 8, 64, 28, key=f"{key}_draw_size")
    stroke = st.slider(TEXT["brush"], 4, 40, 18, key=f"{key}_brush")
    png = drawn_png(
        stroke_width=stroke,
        stroke_color="#ffffff",
        background_color="#000000",
        height=280,
        width=280,
        drawing_mode="freedraw",
        key=f"{key}_canvas",
    )
    # The picture's PNG bytes, checked before decoding (``image_data`` would decode whatever
    # size a forged message claims).
    X = images.canvas_image(png, size)
    drawn_key = f"{key}_drawn"
    if X is not None:
        st.session_state[drawn_key] = X  # keep the drawing across reruns and source switches
    X = st.session_state.get(drawn_key)
    if X is None:
        st.info(TEXT["draw_hint"])
        X = images.seed_stripes().unsqueeze(0)
        return images.LoadedImage(X, "stripes (until you draw)")
    return images.LoadedImage(X, "drawing")


def _upload_ui(key: str, max_side: int, color: bool) -> images.LoadedImage | None:
    file = st.file_uploader(
        TEXT["upload"], type=PICTURE_TYPES, key=f"{key}_upload",
        max_upload_size=images.MAX_UPLOAD_BYTES // 2**20,
    )  # fmt: skip
    if file is None:
        st.info(TEXT["upload_hint"])
        return images.LoadedImage(images.seed_stripes().unsqueeze(0), "stripes (no upload yet)")
    try:
        with st.spinner(texts("common")["decoding"]):
            loaded = _decode(file.getvalue(), file.name, max_side, color)
    except images.ImageError as exc:
        st.error(md_escape(message(exc)), icon=":material/broken_image:")
        return None
    for note in loaded.notes:
        text = TEXT["note"].format(name=display_name(file.name), note=message(note))
        st.info(md_escape(text), icon=":material/info:")
    return loaded


def image_source_ui(
    key: str, color: bool = False, max_side: int = images.DEFAULT_MAX_SIDE, default: int = 0
) -> images.LoadedImage | None:
    """Pick an input image; returns (C, H, W) in [0, 1], or None after showing an error.

    Args:
        key: the page's widget prefix, e.g. "xcorr".
        color: keep three channels for uploads (others are repeated to three).
        max_side: uploads are downscaled to fit this.
        default: index into SOURCES of the initial choice.
    """
    source = keyed_choice(
        st.selectbox, TEXT["source"], SOURCES, key=f"{key}_source",
        labels_of=("images", "sources"), old=OLD_SOURCES, default=SOURCES[default],
    )  # fmt: skip
    if source == SOURCES[0]:
        loaded = images.LoadedImage(images.seed_stripes().unsqueeze(0), "stripes")
    elif source == SOURCES[1]:
        loaded = images.LoadedImage(images.seed_matrix().unsqueeze(0), "matrix 0..8")
    elif source == SOURCES[2]:
        data = data_or_message()  # missing or damaged: said, and the lesson waits
        if data is None:
            return None
        c1, c2 = st.columns(2)
        # The class by its number in the address (older links hold its English name).
        label = keyed_choice(
            c1.selectbox, TEXT["class"], range(10), key=f"{key}_class",
            format_func=class_names().__getitem__, old={n: i for i, n in enumerate(TEXT_LABELS)},
        )  # fmt: skip
        index = c2.number_input(TEXT["sample"], 0, 5999, 0, key=f"{key}_sample", bind=SHARE)
        X = images.fashion_sample(data.test_images, data.test_labels, label, int(index))
        loaded = images.LoadedImage(X, f"{class_names()[label]} #{index}")
    elif source == SOURCES[3]:
        loaded = _canvas_ui(key)
    else:
        loaded = _upload_ui(key, max_side, color)
    if loaded is not None and color and loaded.X.shape[0] == 1:
        loaded = images.LoadedImage(loaded.X.expand(3, -1, -1).clone(), loaded.name, loaded.notes)
    return loaded
