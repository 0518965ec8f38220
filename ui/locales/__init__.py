"""The catalogs: every string the interface shows, one catalog per language.

``CATALOGS[lang][section][key]``: a section holds one page's strings (or those of a part that
several pages share, such as the sidebar). English is complete; another language may leave a
key out (English is shown) but tests/test_i18n.py asks for every key. To add a language, see
the README ("Languages").
"""

from importlib import import_module

import cnnviz.models  # noqa: F401 (registers the families whose words are gathered below)

# One module per section in every language's folder, each with a ``TEXT`` dict.
SECTIONS = (
    "nav",
    "common",
    "home",
    "data",
    "time",
    "training",
    "errors",
    "notices",
    "images",
    "kernels",
    "why_conv",
    "channels",
    "learn_kernel",
    "batch_norm",
    "builder",
    "identity",
    "classroom",
    "insight",
    "ablation",
    "board",
    "conv",
    "xcorr",
    "padding",
    "pooling",
    "follow",
)


def _catalog(lang: str) -> dict[str, dict]:
    catalog = {s: import_module(f"ui.locales.{lang}.{s}").TEXT for s in SECTIONS}
    # Each network family keeps its words in its own module (cnnviz/models/families/): its
    # name, widget labels and help, preset notes under "families", its messages in "errors".
    from cnnviz.models.registry import REGISTRY

    catalog["families"] = {}
    for name, family in REGISTRY.items():
        words = family.words.get(lang, {})
        catalog["families"][name] = {k: v for k, v in words.items() if k != "errors"}
        catalog["errors"] = {**catalog["errors"], **words.get("errors", {})}
    return catalog


CATALOGS = {lang: _catalog(lang) for lang in ("en", "ko")}
