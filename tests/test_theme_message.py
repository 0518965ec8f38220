"""Streamlit's "new session" message, sent at the start of every run: its theme sections are
made once per process (ui.common.keep_theme_message) and are the same bytes Streamlit makes
each time, until the config is read again."""

from __future__ import annotations

import pytest
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session

from ui.common import keep_theme_message

pytestmark = pytest.mark.unit
SECTIONS = ("theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar",
            "theme.dark.sidebar")  # fmt: skip


def _theme(populate) -> bytes:
    msg = ForwardMsg()
    theme = msg.new_session.custom_theme
    targets = (theme, theme.light, theme.dark, theme.sidebar, theme.light.sidebar,
               theme.dark.sidebar)  # fmt: skip
    for target, section in zip(targets, SECTIONS, strict=True):
        populate(target, section)
    return msg.SerializeToString(deterministic=True)


@pytest.fixture
def kept_theme(monkeypatch):
    """keep_theme_message installed on Streamlit's own function (put back after the test),
    also where a page run by an earlier test in this process installed it already."""
    made = getattr(app_session._populate_theme_msg, "made", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", made)
    keep_theme_message()
    return made, app_session._populate_theme_msg


def test_the_kept_sections_are_the_ones_streamlit_makes(kept_theme, monkeypatch):
    made, kept = kept_theme
    assert kept is not made
    monkeypatch.setattr(config, "get_option", config.get_option)
    config.set_option("theme.primaryColor", "#0072B2")
    config.set_option("theme.font", "serif")
    try:
        kept.kept.clear()
        fresh = _theme(made)
        assert b"#0072B2" in fresh
        assert _theme(kept) == fresh  # made now
        assert set(kept.kept) == set(SECTIONS)
        assert _theme(kept) == fresh  # merged from the bytes kept
    finally:
        config.set_option("theme.primaryColor", None)
        config.set_option("theme.font", None)
        kept.kept.clear()


def test_it_is_installed_once(kept_theme):
    _, kept = kept_theme
    keep_theme_message()
    assert app_session._populate_theme_msg is kept


def test_a_new_reading_of_the_config_starts_over(kept_theme):
    _, kept = kept_theme
    _theme(kept)
    assert kept.kept
    config._on_config_parsed.send()
    assert not kept.kept
