"""The sentences of a run's stored notice and error, as the modules that write them spell them.

The store keeps a run's ``notice`` and ``error`` in English (the command line prints them as
they are). A page shows them in its own language: :func:`parse` splits a stored text into the
templates below, each with its key and the values it quotes (a file's name, a number as it was
written, an exception's type), and a catalog rebuilds each sentence from them. A ``reason``
value is one of :data:`REASONS` in turn. The templates are the writers' own constants, so a
changed sentence is still recognised; a text that is not made of them (an older wording, a
failed run's exception) gives None and is shown as stored.
"""

from __future__ import annotations

import functools
import re

from cnnviz.classroom import TRIM_REASONS
from cnnviz.device import NO_GPU
from cnnviz.runfile import ANALYSIS_DROPS, HEADER_PROBLEMS, SNAPSHOT_DROPS
from cnnviz.runs.classdata import WEIGHTS_REMOVED
from cnnviz.runs.execute import NOT_SAVED
from cnnviz.runs.executors import INTERRUPTED, STOPPED, THREAD_FAILED
from cnnviz.runs.portable import (
    EVALUATION_NOT_KEPT,
    IMPORTED,
    IMPORTED_CUT_OFF,
    SNAPSHOTS_NOT_KEPT,
)
from cnnviz.runs.ray_executor import RAY_FAILED, RAY_LOST
from cnnviz.runs.records import REAPED
from cnnviz.runs.supervision import EXIT_REASONS, NOT_STARTED, STORE_REFUSED
from cnnviz.train import GRAPHS_OFF

# key -> template (str.format): the sentences a notice or an error is made of
SENTENCES = {
    "notice.no_gpu": NO_GPU,
    "notice.graphs_off": GRAPHS_OFF,
    "notice.stopped": STOPPED,
    "notice.imported": IMPORTED,
    "notice.snapshots_not_kept": SNAPSHOTS_NOT_KEPT,
    "notice.evaluation_not_kept": EVALUATION_NOT_KEPT,
    "notice.weights_removed": WEIGHTS_REMOVED,
    "error.reaped": REAPED,
    "error.interrupted": INTERRUPTED,
    "error.not_saved": NOT_SAVED,
    "error.imported_cut_off": IMPORTED_CUT_OFF,
    "error.not_started": NOT_STARTED,
}
# key -> template: what a sentence's {reason} may be
REASONS = {
    **SNAPSHOT_DROPS, **ANALYSIS_DROPS, **HEADER_PROBLEMS, **TRIM_REASONS, **EXIT_REASONS,
    "reason.thread_failed": THREAD_FAILED,
    "reason.store_refused": STORE_REFUSED,
    "reason.ray_lost": RAY_LOST,
    "reason.ray_failed": RAY_FAILED,
}  # fmt: skip
NESTED = "reason"  # the one value that is itself a template's text
MAX_CHARS = 4000  # a longer text is shown as stored

_FIELD = re.compile(r"\{(\w+)(?::[^{}]*)?\}")


def as_written(template: str) -> str:
    """``template`` for the values :func:`parse` gives, already text as they were written:
    its fields without their format specs ("{mb:,}" is "{mb}")."""
    return _FIELD.sub(lambda m: "{" + m.group(1) + "}", template)


def pattern(template: str) -> re.Pattern:
    """What ``template.format(...)`` writes: its text, each field a named group (any text)."""
    parts, pos, seen = [], 0, set()
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def _table(templates: dict[str, str]) -> list[tuple[str, re.Pattern]]:
    """(key, pattern), the most literal text first: "Imported from a file saved after …" is
    tried before "Imported from {name}."."""
    fixed = {k: len(_FIELD.sub("", t)) for k, t in templates.items()}
    return [(k, pattern(templates[k])) for k in sorted(templates, key=lambda k: -fixed[k])]


_SENTENCES = _table(SENTENCES)
_REASONS = _table(REASONS)

Part = tuple[str, dict]  # (key, values): a value is text, or a Part for a recognised reason


def reason(text: str) -> Part | None:
    """A reason (:data:`REASONS`) as (key, values), or None when it is none of them."""
    for key, pat in _REASONS:
        if m := pat.fullmatch(text):
            return key, _values(m)
    return None


def _values(m: re.Match) -> dict:
    values = m.groupdict()
    if NESTED in values:
        values[NESTED] = reason(values[NESTED]) or values[NESTED]
    return values


def parse(text: str | None) -> list[Part] | None:
    """A stored notice or error as its sentences (:data:`SENTENCES`), each (key, values) with
    a recognised ``reason`` as a (key, values) of its own; None when some part of ``text`` is
    not one of them (it is then shown as stored)."""
    if not text or len(text) > MAX_CHARS:
        return None
    # where a sentence may end: after a full stop, before a space; and the end (the last may
    # end without one: "It could not start: {error}" ends with its error, as it was written)
    ends = [i + 1 for i, ch in enumerate(text) if ch == "." and text[i + 1 : i + 2] == " "]
    ends.append(len(text))

    @functools.cache  # each start parsed once: a name full of full stops tries no path twice
    def rest(start: int) -> list[Part] | None:
        if start == len(text):
            return []
        for end in (e for e in ends if e > start):
            piece = text[start:end]
            for key, pat in _SENTENCES:
                if (m := pat.fullmatch(piece)) and (
                    after := rest(end + 1 if end < len(text) else end)
                ) is not None:
                    return [(key, _values(m)), *after]
        return None

    return rest(0)
