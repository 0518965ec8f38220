"""Errors whose message a page can show in its own language.

``str(exc)`` stays English (logs, the command line); ``key`` names the message and ``params``
fill it, so the web pages look the key up in their catalog (ui/i18n.py ``message``) and fall
back to the English text for a key they do not know.
"""

from __future__ import annotations

import unicodedata


def plain_name(name: object, most: int = 80) -> str:
    """A name someone else chose (an uploaded file's, a run file's) as messages and pages show
    it: one line, without control or formatting characters (NUL, line breaks, bidi overrides,
    zero-width ones; a whitespace one becomes a space), cut to ``most`` characters; "?" when
    nothing is left. Never raises."""
    text = "".join(
        " " if ch.isspace() else ch
        for ch in str(name)
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    text = " ".join(text.split()) or "?"
    return text if len(text) <= most else text[: most - 1] + "…"


class KeyedError(Exception):
    """An error with a stable message key and the values its message quotes."""

    def __init__(self, message: str, key: str | None = None, **params: object):
        super().__init__(message)
        self.key = key
        self.params = params


class KeyedText(str):
    """English text with a message key and the values it quotes (a note a page translates);
    it is the English string everywhere else."""

    key: str | None
    params: dict

    def __new__(cls, text: str, key: str | None = None, **params: object):
        obj = super().__new__(cls, text)
        obj.key, obj.params = key, params
        return obj


# What an allocator says when it runs out: PyTorch's CPU allocator ("DefaultCPUAllocator: can't
# allocate memory: you tried to allocate 123456789012 bytes", "not enough memory" on Windows),
# CUDA's ("CUDA out of memory"), and the C library's ("Cannot allocate memory").
_OOM_WORDS = ("out of memory", "can't allocate memory", "cannot allocate memory",
              "not enough memory", "defaultcpuallocator")  # fmt: skip


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says that memory ran out (on the CPU or a GPU), whatever raised it."""
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        oom = getattr(torch.cuda, "OutOfMemoryError", None)
        if oom is not None and isinstance(exc, oom):
            return True
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return isinstance(exc, RuntimeError) and any(w in str(exc).lower() for w in _OOM_WORDS)
