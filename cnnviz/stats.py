"""Repeated runs in numbers: the mean and spread over seeds, a paired t interval for a
difference, and the sentence that says whether a difference is bigger than seed noise.

One module for every place that aggregates repeats (the ablation lab, the CLI, the exports,
the class board), so they all agree. Plain Python and pandas: no Streamlit, no SciPy (the t
quantile is computed here from the regularised incomplete beta function).

The interval is a *paired t interval*: seed s of one variant is compared with seed s of the
other (same data order, same initial weights where the layers match), the per-seed differences
``d_s`` give a mean ``d̄`` and a sample standard deviation ``s_d``, and the 95 % interval is
``d̄ ± t(0.975, n−1) · s_d / √n``. It assumes the per-seed differences vary like independent
draws from a roughly normal distribution; it says nothing about other data, sizes, epochs or
learning rates, and with many pairs compared at once some intervals miss by chance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

LEVEL = 0.95
MIN_SEEDS_VERDICT = 3  # fewer seeds: an interval (k = 2) but no sentence


# -- the t distribution ----------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on
    :func:`t_cdf`, to 1e-10): ``t_quantile(0.975, 4)`` is 2.776."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1, not {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return 0.5 * (lo + hi)


# -- the spread of one quantity over seeds ---------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """A quantity over ``n`` seeds: mean, sample standard deviation (n − 1 in the
    denominator; NaN for one seed), smallest and largest. All NaN when ``n`` is 0."""

    n: int
    mean: float
    sd: float
    min: float
    max: float


def _finite(values: Iterable) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def spread(values: Iterable) -> Spread:
    """The mean, sd, min and max of the finite values (missing ones are left out)."""
    xs = _finite(values)
    n = len(xs)
    if n == 0:
        return Spread(0, math.nan, math.nan, math.nan, math.nan)
    mean = math.fsum(xs) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else math.nan
    return Spread(n, mean, sd, min(xs), max(xs))


def bands(frame: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """:func:`spread` of ``value`` within each group of ``by`` (e.g. variant, metric, epoch):
    the columns of ``by`` then n, mean, sd, min, max; groups in first-seen order. Vectorised
    (a chart polled every second draws it), the same numbers as :func:`spread` per group."""
    cols = [*by, "n", "mean", "sd", "min", "max"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    values = pd.to_numeric(frame[value], errors="coerce")
    values = values.where(values.abs() != math.inf)  # infinite: missing, as spread leaves it
    g = values.groupby([frame[c] for c in by], sort=False, dropna=False)
    out = g.agg(["count", "mean", "std", "min", "max"]).reset_index()
    out.columns = cols
    out["n"] = out["n"].astype(int)
    return out


# -- a difference between two variants, paired by seed ---------------------------------------


@dataclass(frozen=True)
class Interval:
    """``b − a`` over the seeds both have: the mean difference, the sd of the per-seed
    differences, and the paired t interval at ``level`` (NaN ends with fewer than 2 pairs)."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    level: float = LEVEL

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly on one side of 0 (never with fewer than 2 pairs)."""
        if self.n < 2 or math.isnan(self.low):
            return False
        return self.low > 0 or self.high < 0


def paired_interval(
    a: Mapping[object, float], b: Mapping[object, float], level: float = LEVEL
) -> Interval:
    """The paired t interval of ``b − a``; ``a`` and ``b`` map a seed to a value, and only the
    seeds with a finite value in both count (a stopped seed drops out of the pair)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    keys = [k for k in a if k in b and _finite([a[k]]) and _finite([b[k]])]
    diffs = [float(b[k]) - float(a[k]) for k in keys]
    s = spread(diffs)
    if s.n < 2:
        return Interval(s.n, s.mean, s.sd, math.nan, math.nan, level)
    half = t_quantile(0.5 + level / 2.0, s.n - 1) * s.sd / math.sqrt(s.n)
    return Interval(s.n, s.mean, s.sd, s.mean - half, s.mean + half, level)


# How verdict reads; a page passes its language's (ui/locales: "ablation" "verdict").
VERDICT_WORDS = {
    "far": "{winner} beats {loser} by {d} ± {h} points ({n} seeds): far beyond seed noise",
    "beyond": "{winner} beats {loser} by {d} ± {h} points ({n} seeds): beyond seed noise, "
    "though not by much",
    "none": "{a} vs {b}: no difference beyond seed noise ({d} ± {h} points, {n} seeds)",
}


def signed(x: float, digits: int = 1) -> str:
    """``x`` with its sign, a true minus: −0.4, +1.2, 0.0."""
    text = f"{abs(x):.{digits}f}"
    if text.strip("0.") == "":
        return text
    return ("−" if x < 0 else "+") + text


def verdict(
    iv: Interval,
    a: str,
    b: str,
    words: Mapping[str, str] = VERDICT_WORDS,
    scale: float = 100.0,
    min_seeds: int = MIN_SEEDS_VERDICT,
) -> str | None:
    """One sentence on ``b − a`` (higher is better; ``scale`` turns fractions into points):
    "B beats A by 57 ± 4 points (5 seeds): far beyond seed noise" when the interval excludes 0
    (*far* when the difference is more than twice the half-width), else "A vs B: no difference
    beyond seed noise (−0.4 ± 1.1 points, 3 seeds)". None with fewer than ``min_seeds``
    pairs: too few to say."""
    if iv.n < max(2, min_seeds) or math.isnan(iv.low):
        return None
    d, h = iv.mean * scale, iv.half_width * scale
    digits = 0 if abs(d) >= 10 and h >= 1 else 1
    if not iv.excludes_zero:
        return words["none"].format(a=a, b=b, d=signed(d, 1), h=f"{h:.1f}", n=iv.n)
    winner, loser = (b, a) if d > 0 else (a, b)
    key = "far" if abs(d) > 2 * h else "beyond"
    return words[key].format(winner=winner, loser=loser, d=f"{abs(d):.{digits}f}",
                             h=f"{h:.{digits}f}", n=iv.n)  # fmt: skip
