"""The catalogs: every string the interface shows, one catalog per language.

``CATALOGS[lang][section][key]``: a section holds one page's strings (or those of a part that
several pages share, such as the sidebar). English is complete; another language may leave a
key out (English is shown) but tests/test_i18n.py asks for every key. To add a language, see
the README ("Languages").
"""

from ui.locales import en, ko

CATALOGS = {"en": en.CATALOG, "ko": ko.CATALOG}
