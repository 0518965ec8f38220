"""The catalogs: every string the interface shows, one catalog per language.

``CATALOGS[lang][section][key]``: a section holds one page's strings (or those of a part that
several pages share, such as the sidebar). English is complete; another language may leave a
key out (English is shown) but tests/test_i18n.py asks for every key. To add a language, see
the README ("Languages").
"""

from importlib import import_module

# One module per section in every language's folder, each with a ``TEXT`` dict.
SECTIONS = (
    "nav",
    "common",
    "home",
    "data",
    "time",
    "training",
    "errors",
    "images",
    "kernels",
    "why_conv",
    "channels",
    "learn_kernel",
    "builder",
    "identity",
    "insight",
    "ablation",
    "conv",
    "xcorr",
    "padding",
    "pooling",
)


def _catalog(lang: str) -> dict[str, dict]:
    return {s: import_module(f"ui.locales.{lang}.{s}").TEXT for s in SECTIONS}


CATALOGS = {lang: _catalog(lang) for lang in ("en", "ko")}
