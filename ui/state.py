"""The session keys that pages and helpers share, declared once: name, type, default, meaning.

A key that one module writes and another reads is a protocol between them. Declared here, it
has one spelling, one default and a docstring, and ``grep`` finds every reader through its
constant. Keys that only one module touches (most widget keys) stay with that module.

Usage::

    from ui import state
    spec = state.BUILDER_SPEC.get()      # None until the builder page has run
    state.BUILDER_SPEC.set(spec)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import streamlit as st

if TYPE_CHECKING:
    from cnnviz.models import ModelSpec

T = TypeVar("T")


@dataclass(frozen=True)
class Key(Generic[T]):
    """One session-state key: its name, the value a fresh session reads, and what it means."""

    name: str
    default: T
    doc: str

    def get(self) -> T:
        """The value, or a copy of the default (a caller may change a list it reads)."""
        if self.name in st.session_state:
            return st.session_state[self.name]
        return copy.copy(self.default)

    def set(self, value: T) -> None:
        st.session_state[self.name] = value

    def pop(self) -> T:
        """Read and clear (one-shot flags and messages)."""
        return st.session_state.pop(self.name, copy.copy(self.default))

    def setdefault(self) -> T:
        return st.session_state.setdefault(self.name, copy.copy(self.default))


# -- between pages ---------------------------------------------------------------------------
BUILDER_SPEC: Key[ModelSpec | None] = Key(
    "builder_spec",
    None,
    "The architecture builder's last valid spec (written by ui/builder.py on every rerun); "
    "the Training page offers it as the builder's model. None until the builder has run.",
)
CURRENT_KERNEL: Key[list[list[float]] | None] = Key(
    "current_kernel",
    None,
    "The kernel last shown by a kernel editor (ui/kernels.py), as a nested list of floats; "
    "Learn-a-kernel offers it as 'the kernel from the cross-correlation page'.",
)

# -- shared settings (ui/common.py settings() seeds them; the sidebar's widgets own them) ------
PRESENTER_MODE: Key[bool] = Key(
    "presenter_mode", False, "Bigger type for a projector (sidebar toggle; every page reads it)."
)
DEVICE_CHOICE: Key[str] = Key(
    "device_choice", "auto", "The device the training pages default to: auto, cpu or cuda."
)
SETTINGS: tuple[Key[Any], ...] = (PRESENTER_MODE, DEVICE_CHOICE)
LANG: Key[str | None] = Key(
    "lang",
    None,
    "The interface language, 'en' or 'ko' (the sidebar's switch; mirrors ?lang=). None until "
    "the sidebar first runs: ui/i18n.py then reads ?lang=. Not seeded by settings().",
)

# -- who is using this browser (ui/identity.py; every page that shows runs) --------------------
USER: Key[Any] = Key(
    "cnnviz_user",
    None,
    "This browser's cnnviz.classroom.User (id and role), read from its signed cookie on the "
    "session's first run; None until then.",
)
SET_COOKIE: Key[dict | None] = Key(
    "cnnviz_set_cookie",
    None,
    "Cookies to write into the browser once, by the sidebar: name -> (value, max-age in s) (a "
    "new identity, the teacher's token, its end at Lock).",
)
TEACHER_MESSAGE: Key[str | None] = Key(
    "teacher_message", None, "Why the last unlock failed (set in the callback, shown by the box)."
)

# -- Training page (ui/training.py, app_pages/training.py) ---------------------------------------
TRAIN_RUN_ID: Key[str | None] = Key(
    "train_run_id", None, "The run the Training page shows; mirrors ?run= in the address."
)
TRAIN_RUN_LEFT: Key[tuple[str, bool] | None] = Key(
    "train_run_left",
    None,
    "(the run the page showed before its last switch, whether that switch is this run's "
    "own) until the browser's address has caught up: a rerun already in flight sends the "
    "old ?run= once more, which must not switch the page back.",
)
TRAIN_START_ERROR: Key[str | None] = Key(
    "train_start_error",
    None,
    "Why the last Start was refused (set in the button's callback, shown once by the page).",
)
TRAIN_IMPORT_OPEN: Key[bool] = Key(
    "train_import_open",
    False,
    "Set by a successful checkpoint import so the rerun after it keeps the import box open "
    "with its result; read once.",
)
TRAIN_IMPORT_RESULT: Key[tuple[str | None, str, str | None]] = Key(
    "train_import_result",
    (None, "", None),
    "The last import: (uploaded file id, message, run id or None when it failed).",
)

# -- Ablation lab (ui/ablation.py, app_pages/ablation.py) --------------------------------------
ABL_RUN_IDS: Key[list[str]] = Key(
    "abl_run_ids", [], "The runs the lab compares, in variant order; mirrors ?runs=."
)
ABL_MISSING: Key[list[str] | None] = Key(
    "abl_missing", None, "Run ids from a shared link that this store does not have; shown once."
)
ABL_ERROR: Key[str | None] = Key(
    "abl_error", None, "Why the last launch or grid was refused (set in a callback)."
)
ABL_WAS_LIVE: Key[bool] = Key(
    "abl_was_live",
    False,
    "Whether a compared run was live at the previous poll: the fragment reruns the whole "
    "page once when the last run finishes, so the final tables appear.",
)
ABL_RESTORED: Key[bool] = Key(
    "abl_restored", False, "The lab's address (?group=, ?runs=) has been read into the widgets."
)

# -- Learn a kernel (ui/kernel_learning.py) ----------------------------------------------------
LEARN_ACTION: Key[str | None] = Key(
    "learn_action",
    None,
    "The button pressed (start, step, stop, reset), set in its callback and consumed once by "
    "ensure_runner on the rerun that follows.",
)
