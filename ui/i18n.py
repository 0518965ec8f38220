"""The interface in English and Korean: the current language and each page's strings.

Every page keeps its strings together in a section of a catalog, one catalog per language
(``ui/locales/en``, ``ui/locales/ko``). A module reads its section once::

    TEXT = texts("training")
    st.subheader(TEXT["run_title"])

``TEXT`` looks the language up on every access (the sidebar's switch, then ``?lang=``, then
English), so one module-level object serves every session in its own language, and a page run
on its own (AppTest) reads ``?lang=`` without the sidebar. A key the Korean catalog lacks falls
back to English, key by key (tests/test_i18n.py checks that none is missing).

Choice widgets keep stable option values (keys) and show the translated label through
``format_func``. Streamlit would write a bound widget's *label* into the address, so a
translated choice keeps its value there by a stable key instead (``ui.common.keyed_choice``),
the same in every language. The browser sends the label back, so a switch re-assigns those
widgets' values under the new language (:func:`switch_language`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import streamlit as st

from ui import state
from ui.locales import CATALOGS

LANGS = {"en": "English", "ko": "한국어"}
DEFAULT = "en"
KEY = state.LANG.name  # the sidebar's widget, and the address's ?lang=
# Widgets with translated option labels that are not bound to the address (bound ones are
# found through it): re-assigned on a switch so they keep their choice.
UNBOUND_CHOICES = (
    "abl_source", "abl_mode", "abl_group", "abl_store_runs", "insight_run", "insight_run_b",
    "insight_source", "insight_method", "insight_class", "insight_mis_true", "insight_mis_pred",
    "builder_weights", "pad_example",
)  # fmt: skip
# Choice widgets that keep their choice in the address by a stable key (ui.common.keyed_choice
# adds each as it is drawn): at their default they are not in the address, yet a switch must
# re-assign them too.
KEYED_CHOICES: set[str] = set()


def browser_language() -> str | None:
    """The language of the browser (``navigator.language``) when cnnviz speaks it."""
    try:
        locale = st.context.locale or ""
    except Exception:  # noqa: BLE001 - no browser behind this run (AppTest, bare mode)
        return None
    code = locale.split("-")[0].lower()
    return code if code in LANGS else None


def current() -> str:
    """The session's language: the sidebar's choice, else ``?lang=``, else the browser's
    language on a bare first visit (a link with settings but no ``?lang=`` was made in
    English, so its option labels are English), else English."""
    try:
        chosen = st.session_state.get(KEY)
        if chosen in LANGS:
            return chosen
        params = st.query_params
        asked = params.get(KEY)
    except Exception:  # noqa: BLE001 - outside a script run (a worker thread, import time)
        return DEFAULT
    if asked in LANGS:
        return asked
    if not len(params):
        return browser_language() or DEFAULT
    return DEFAULT


def _lookup(lang: str, section: str, key: str) -> Any:
    english = CATALOGS[DEFAULT][section][key]
    value = CATALOGS[lang].get(section, {}).get(key, english) if lang != DEFAULT else english
    if isinstance(english, Mapping):  # nested: key by key, English where a key is missing
        return {**english, **value} if value is not english else dict(english)
    return value


class Section(Mapping):
    """One page's strings in the language of the session that reads them."""

    def __init__(self, name: str):
        if name not in CATALOGS[DEFAULT]:
            raise KeyError(f"no section {name!r} in the English catalog")
        self.name = name

    def __getitem__(self, key: str) -> Any:
        return _lookup(current(), self.name, key)

    def __iter__(self) -> Iterator[str]:
        return iter(CATALOGS[DEFAULT][self.name])

    def __len__(self) -> int:
        return len(CATALOGS[DEFAULT][self.name])

    def __repr__(self) -> str:
        return f"Section({self.name!r})"


def texts(section: str) -> Section:
    """The strings of ``section`` (a page, or a part shared by pages), in the current
    language at every access."""
    return Section(section)


def labels(section: str, key: str):
    """A ``format_func`` for a choice widget whose options are the keys of the catalog's
    ``section[key]`` mapping (unknown options show as themselves).

    The labels are those of the language at the call: a ``format_func`` is also called outside
    the script run (AppTest formats a widget's value in the test's thread), where the session's
    language cannot be read. Every ``format_func`` of a translated widget is such a closure.
    """
    names = texts(section)[key]
    return lambda option: names.get(option, str(option))


def message(exc: object, lang: str | None = None) -> str:
    """A library error's (or note's) message in the current language (or ``lang``): its
    ``key`` and ``params`` looked up in the ``errors`` section (``cnnviz.errors.KeyedError``,
    ``KeyedText``), else its English text."""
    key = getattr(exc, "key", None)
    lang = lang or current()
    if key is None or lang == DEFAULT:
        return str(exc)
    template = CATALOGS[lang].get("errors", {}).get(key)
    if template is None:
        return str(exc)
    params = {  # a quoted part with a key of its own (a layer's name, a hint) is translated too
        name: message(value, lang) if getattr(value, "key", None) else value
        for name, value in getattr(exc, "params", {}).items()
    }
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):  # a catalog slip must not hide the error
        return str(exc)


def switch_language() -> None:
    """on_change of the switch: re-assign the choice widgets' values, so each is shown, and
    written into the address, with its label in the new language (the browser sent the old
    label, which the new options would not recognise)."""
    ss = st.session_state
    keys = {k for k in st.query_params if k != KEY} | set(UNBOUND_CHOICES) | KEYED_CHOICES
    for key in keys:
        if key in ss:
            ss[key] = ss[key]
