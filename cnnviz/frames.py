"""Tables for the pages, and rows of a DataFrame as plain Python, with every missing value as
``None``.

The store hands out typed records (e.g. :class:`cnnviz.runs.metrics.RunSummary`); a page that
shows a table builds it with :func:`table`.

pandas 3 stores text columns with a string dtype: the ``None`` of an ownerless run's ``user``
comes back as ``float('nan')``, which ``value is None`` misses (and ``nan[:4]`` raises). Numbers
come back as NumPy scalars, and a missing number as NaN. Code that reads single values out of a
table goes through :func:`plain` or :func:`records`, so a missing
value is always ``None`` and a present one always a Python ``str``, ``int``, ``float`` or ``bool``.
"""

from __future__ import annotations

import dataclasses
import math
from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN (float or NumPy), ``pd.NA``, ``pd.NaT``."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


def plain(value: Any) -> Any:
    """One cell as plain Python: a missing value → None, a NumPy scalar → its Python value."""
    if missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def text(value: Any) -> str | None:
    """A text cell: None when missing, else ``str``."""
    value = plain(value)
    return None if value is None else str(value)


def records(df) -> list:
    """The frame's rows as named tuples of plain values (``row.user`` is None, never NaN).
    Columns that are not identifiers are renamed positionally (``_3``), as ``namedtuple`` does."""
    Row = namedtuple("Row", [str(c) for c in df.columns], rename=True)  # noqa: PYI024
    return [Row(*(plain(v) for v in values)) for values in df.itertuples(index=False, name=None)]


def column(df, name: str) -> list:
    """One column as a list of plain values (missing → None)."""
    return [plain(v) for v in df[name].tolist()]


def metrics_table(rows: Iterable[dict]):
    """A run's metrics (the store's rows, one per finished epoch) as a DataFrame whose columns
    are the epoch record's, also when there is none yet."""
    import pandas as pd

    from cnnviz.runfile import METRIC_COLUMNS

    return pd.DataFrame(list(rows), columns=list(METRIC_COLUMNS))


def table(rows: Iterable[Any], columns: Sequence[str] | None = None, of: type | None = None):
    """A DataFrame of dataclass records (e.g. the store's run summaries), one row each, its
    columns the records' fields in order (or ``columns``; ``of``: the record type, so an
    empty table still has its columns). A missing value (None) shows as pandas shows it."""
    import pandas as pd

    rows = list(rows)
    if columns is None:
        kind = of if of is not None else type(rows[0]) if rows else None
        columns = [f.name for f in dataclasses.fields(kind)] if kind is not None else []
    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=list(columns))
