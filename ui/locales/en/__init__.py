"""The English catalog: one module per page (or shared part), each a ``TEXT`` dict."""

from ui.locales.en import common, data, home, nav

CATALOG = {
    "nav": nav.TEXT,
    "common": common.TEXT,
    "home": home.TEXT,
    "data": data.TEXT,
}
