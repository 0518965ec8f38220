"""The aggregation of repeated runs (cnnviz.stats) against numbers worked out by hand: the mean
and sd over seeds, the paired t interval, the t quantiles, and the verdict's wording for one,
two and five seeds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cnnviz import stats as S

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("df", "q"),  # the 97.5 % points of any t table
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (30, 2.042), (1000, 1.962)],
)
def test_t_quantiles_match_the_table(df, q):
    assert S.t_quantile(0.975, df) == pytest.approx(q, abs=5e-4)
    assert S.t_quantile(0.025, df) == pytest.approx(-q, abs=5e-4)


def test_t_cdf_and_bad_arguments():
    assert S.t_cdf(0.0, 5) == 0.5
    assert S.t_cdf(2.776445, 4) == pytest.approx(0.975, abs=1e-6)
    assert S.t_quantile(0.95, 10) == pytest.approx(1.812, abs=5e-4)  # one-sided 95 %
    with pytest.raises(ValueError, match="between 0 and 1"):
        S.t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="degrees of freedom"):
        S.t_cdf(1.0, 0)


def test_spread_by_hand():
    one = S.spread([0.8])
    assert (one.n, one.mean, one.min, one.max) == (1, 0.8, 0.8, 0.8) and math.isnan(one.sd)
    # 0.5, 0.7: mean 0.6, sd sqrt((0.01 + 0.01) / 1) = 0.141421
    two = S.spread([0.5, 0.7])
    assert two.mean == pytest.approx(0.6) and two.sd == pytest.approx(0.1414214, abs=1e-7)
    # 2, 4, 4, 4, 5, 5, 7, 9 minus their mean 5: squares sum to 32; 32 / 7 → sd 2.13809
    eight = S.spread([2, 4, 4, 4, 5, 5, 7, 9])
    assert eight.mean == 5 and eight.sd == pytest.approx(2.1380899, abs=1e-7)
    assert (eight.min, eight.max) == (2, 9)
    missing = S.spread([1.0, None, math.nan, "x", 3.0])  # missing values are left out
    assert missing.n == 2 and missing.mean == 2.0
    empty = S.spread([])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_bands_group_by_epoch():
    frame = pd.DataFrame(
        {"variant": ["a"] * 4 + ["b"], "epoch": [1, 1, 2, 2, 1], "value": [0.1, 0.3, 0.5, 0.9, 0.7]}
    )
    b = S.bands(frame, ["variant", "epoch"]).set_index(["variant", "epoch"])
    assert b.loc[("a", 1), "mean"] == pytest.approx(0.2)
    assert b.loc[("a", 1), "sd"] == pytest.approx(math.sqrt(0.02))
    assert (b.loc[("a", 2), "min"], b.loc[("a", 2), "max"]) == (0.5, 0.9)
    assert b.loc[("b", 1), "n"] == 1 and math.isnan(b.loc[("b", 1), "sd"])
    assert list(S.bands(pd.DataFrame(), ["epoch"]).columns) == ["epoch", "n", "mean", "sd",
                                                                 "min", "max"]  # fmt: skip


def test_one_seed_has_no_interval():
    iv = S.paired_interval({0: 0.5}, {0: 0.7})
    assert iv.n == 1 and iv.mean == pytest.approx(0.2)
    assert math.isnan(iv.low) and math.isnan(iv.high) and not iv.excludes_zero
    assert S.verdict(iv, "A", "B") is None


def test_two_seeds_by_hand():
    # differences 0.2 and 0.3: mean 0.25, sd 0.0707107, t(0.975, 1) = 12.7062
    # half-width 12.7062 · 0.0707107 / √2 = 0.635310: the interval holds 0, and no sentence
    iv = S.paired_interval({0: 0.5, 1: 0.6}, {0: 0.7, 1: 0.9})
    assert iv.n == 2 and iv.mean == pytest.approx(0.25)
    assert iv.sd == pytest.approx(0.0707107, abs=1e-7)
    assert iv.half_width == pytest.approx(0.635310, abs=1e-5)
    assert iv.low == pytest.approx(-0.385310, abs=1e-5) and not iv.excludes_zero
    assert S.verdict(iv, "A", "B") is None  # fewer than 3 seeds: no sentence
    assert "no difference" in S.verdict(iv, "A", "B", min_seeds=2)


def test_five_seeds_by_hand():
    a = dict(enumerate([0.30, 0.32, 0.28, 0.31, 0.29]))
    b = dict(enumerate([0.85, 0.88, 0.86, 0.87, 0.84]))
    # differences .55 .56 .58 .56 .55: mean .56; squared deviations sum to 6e-4, / 4 →
    # sd .0122474; t(0.975, 4) = 2.776445; half-width 2.776445 · .0122474 / √5 = .0152072
    iv = S.paired_interval(a, b)
    assert iv.n == 5 and iv.mean == pytest.approx(0.56)
    assert iv.sd == pytest.approx(0.0122474, abs=1e-7)
    assert iv.half_width == pytest.approx(0.0152072, abs=1e-6)
    assert iv.excludes_zero
    assert S.verdict(iv, "sigmoid", "ReLU") == (
        "ReLU beats sigmoid by 56 ± 2 points (5 seeds): far beyond seed noise"
    )
    # the other way round: the winner is named first all the same
    assert S.verdict(S.paired_interval(b, a), "ReLU", "sigmoid").startswith("ReLU beats sigmoid")


def test_pairs_only_count_seeds_both_have():
    a = {0: 0.5, 1: 0.6, 2: 0.7, 3: 0.8}
    b = {0: 0.6, 1: 0.7, 2: math.nan, 4: 0.9}  # seed 2 stopped, seeds 3 and 4 unmatched
    iv = S.paired_interval(a, b)
    assert iv.n == 2 and iv.mean == pytest.approx(0.1) and iv.sd == pytest.approx(0.0, abs=1e-12)


def test_verdict_wording():
    # a small difference the interval keeps clear of 0, but not by twice its half-width
    iv = S.Interval(n=4, mean=0.012, sd=0.006, low=0.002, high=0.022)
    assert S.verdict(iv, "A", "B") == (
        "B beats A by 1.2 ± 1.0 points (4 seeds): beyond seed noise, though not by much"
    )
    iv = S.Interval(n=3, mean=-0.004, sd=0.004, low=-0.015, high=0.007)
    assert S.verdict(iv, "A", "B") == (
        "A vs B: no difference beyond seed noise (−0.4 ± 1.1 points, 3 seeds)"
    )
    words = {"far": "{winner}>{loser} {d}±{h} n={n}", "beyond": "", "none": ""}
    iv = S.Interval(n=5, mean=0.57, sd=0.03, low=0.53, high=0.61)
    assert S.verdict(iv, "sigmoid", "ReLU", words) == "ReLU>sigmoid 57±4 n=5"
    assert S.signed(-0.04) == "0.0"  # no sign on what rounds to zero
    assert S.signed(-0.4) == "−0.4" and S.signed(1.25, 2) == "+1.25" and S.signed(0.0) == "0.0"
