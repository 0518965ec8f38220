"""Errors whose message a page can show in its own language.

``str(exc)`` stays English (logs, the command line); ``key`` names the message and ``params``
fill it, so the web pages look the key up in their catalog (ui/i18n.py ``message``) and fall
back to the English text for a key they do not know.
"""

from __future__ import annotations


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
