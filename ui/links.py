"""What a page's address may hold: a value no widget could have is dropped before any widget
reads it.

Every lesson widget is bound to the address (``bind="query-params"``): Streamlit seeds it from
the page's first query string, before the page's code sees the value. Its reader handles an
unknown option or an out-of-range number (the widget's default), but not a number it cannot
convert: ``?pool_kernel_size=inf``, ``1e999`` or a 400-digit number raise ``OverflowError``
inside Streamlit, and inside a fragment that is outside any ``try`` of the page. So the
address is cleaned first (:func:`clean_address`, called by ``page_header``): a parameter whose
value is no finite number of a sane size, or absurdly long, is removed from the address and
from the values widgets are seeded with; the widget then shows its default, as the README
promises for any value out of range.

``int_param`` reads a number a page parses itself (the ablation lab's ``?seed=``), with the
same rules and a range.

Ids are text, not numbers: a run id is ten hex digits, and about one in 140 of them reads as a
float (``418e043805`` is 418·10^43805). The parameters that carry ids and names
(:data:`TEXT_PARAMS`) are read by the pages themselves and seed no number widget, so only
their length is checked.
"""

from __future__ import annotations

import logging
import math
import re

log = logging.getLogger("cnnviz")

MAX_VALUE_CHARS = 4_096  # no setting, run list or kernel text is longer
MAX_MAGNITUDE = 1e15  # beyond any widget's range, and exact as a float
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", re.ASCII)
_NON_FINITE = re.compile(r"\s*[+-]?(?:inf|infinity|nan)\s*", re.ASCII | re.IGNORECASE)
_INT = re.compile(r"\+?[0-9]{1,19}", re.ASCII)
# Run ids, class codes and names: each page parses and checks these itself.
TEXT_PARAMS = frozenset({"run", "runs", "join", "view", "lang", "group", "mode"})


def refused(value: str, key: str | None = None) -> bool:
    """Whether a query value is one no widget may be seeded with: NaN or an infinity in any
    spelling, a number beyond ±10^15 (``1e999``, 400 digits), or over 4,096 characters. The
    value of an id parameter (``key`` in :data:`TEXT_PARAMS`) is refused only when too long."""
    if len(value) > MAX_VALUE_CHARS:
        return True
    if key in TEXT_PARAMS:
        return False
    if _NON_FINITE.fullmatch(value):
        return True
    if _NUMBER.fullmatch(value):
        try:
            x = float(value)
        except (ValueError, OverflowError):  # pragma: no cover - the pattern is a float
            return True
        return not math.isfinite(x) or abs(x) > MAX_MAGNITUDE
    return False


def clean_address() -> list[str]:
    """Drop every refused query parameter (see :func:`refused`) from the address and from the
    first query string that bound widgets are seeded with; returns the dropped keys. Safe to
    call on every run: a clean address is left alone."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    dropped = []
    with get_session_state().query_params() as qp:
        initial = getattr(qp, "_initial_query_params", None)
        for key in list(qp):
            values = qp.get_all(key)
            if any(refused(v, key) for v in values):
                qp.remove_param(key)
                dropped.append(key)
        if isinstance(initial, dict):
            for key, values in list(initial.items()):
                if any(refused(v, key) for v in values):
                    del initial[key]
                    if key not in dropped:
                        dropped.append(key)
    if dropped:
        log.info("ignored query parameters out of range: %s", ", ".join(dropped))
    return dropped


def int_param(value: str | None, low: int, high: int) -> int | None:
    """A whole number from the address within [low, high], else None (ASCII digits only:
    ``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    if value is None or not _INT.fullmatch(value.strip()):
        return None
    n = int(value.strip())
    return n if low <= n <= high else None
