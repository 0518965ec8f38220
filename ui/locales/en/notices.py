"""A run's stored notice and error (cnnviz.runs.notices), sentence by sentence, and the reasons
they quote: in English they are the library's own templates, as the store writes them, so this
catalog is made from them (fields without format specs: the values come already written);
another language translates each key."""

from cnnviz.runs.notices import REASONS, SENTENCES, as_written
from ui.locales.en.common import STATUS_PLAIN

TEXT = {key: as_written(t) for key, t in {**SENTENCES, **REASONS}.items()}
TEXT["status_plain"] = STATUS_PLAIN
