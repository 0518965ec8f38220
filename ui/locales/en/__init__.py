"""The English catalog: one module per section of ``ui.locales.SECTIONS``, each a ``TEXT``
dict."""
