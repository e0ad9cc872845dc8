"""Intervals for the reports, taken from SciPy rather than written out: the t-interval of a mean,
the paired t-interval of a difference, and the Wilson interval of a share."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the t-interval of the mean; the interval is nan when it cannot be computed
    (fewer than two values, or an undefined value)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0 or not np.isfinite(values).all():
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    if values.std() == 0:  # SciPy's interval is nan without spread; the mean is then exactly known
        return mean, mean, mean
    with warnings.catch_warnings():  # nearly equal values: SciPy warns of precision, the interval stands
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    return mean, float(ci.low), float(ci.high)


def paired_interval(a, b, confidence: float = 0.95) -> tuple[float, float]:
    """The t-interval of the mean paired difference a - b (``scipy.stats.ttest_rel``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_rel(np.asarray(a, float), np.asarray(b, float)).confidence_interval(confidence)
    return float(ci.low), float(ci.high)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share (Wilson 1927); the whole scale when there is nothing to count."""
    if n == 0:
        return 0.0, 1.0
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence, method="wilson")
    return float(max(0.0, ci.low)), float(min(1.0, ci.high))


def sd(values) -> float:
    """Sample standard deviation (nan below two values)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1)) if len(values) >= 2 else math.nan


# The four answers a claim (or a difference) can get at one point, against a smallest effect size
# of interest (SESOI, analysis/effect_sizes.py): Lakens, Scheel & Isager (2018), "Equivalence
# testing for psychological research", Advances in Methods and Practices in Psychological Science 1(2).
CATEGORIES = ("holds", "reversed", "negligible", "unclear")


def effect_category(values, sesoi: float, confidence: float = 0.95) -> dict[str, float | str]:
    """Which of ``CATEGORIES`` the mean of ``values`` (paired effects, one per replication; positive
    means "as claimed") falls in, with the one-sided t-tests behind it (``scipy.stats.ttest_1samp``):

    - ``holds``: the mean exceeds +sesoi (H0: mean <= +sesoi rejected at 1 - confidence, ``p_above``);
    - ``reversed``: the mean is below -sesoi (H0: mean >= -sesoi rejected, ``p_below``);
    - ``negligible``: the mean lies within +-sesoi by two one-sided tests (TOST, Schuirmann 1987):
      H0: mean <= -sesoi and H0: mean >= +sesoi both rejected; ``p_equivalent`` is the larger p;
    - ``unclear``: none of these (too few or too noisy replications to say).

    The three are exclusive: holds needs the one-sided lower bound above +sesoi, negligible the
    upper bound below it. Replications that all agree exactly (no spread) know the mean exactly:
    it is then compared with +-sesoi directly (an exact 0 is negligible even against a SESOI of 0).
    One replication, or a non-finite value, is unclear."""
    values = np.asarray(values, dtype=np.float64)
    alpha = 1.0 - confidence
    result = {"n": len(values), "mean": float(values.mean()) if len(values) else math.nan, "sesoi": float(sesoi),
              "p_above": math.nan, "p_below": math.nan, "p_equivalent": math.nan}
    if len(values) < 2 or not np.isfinite(values).all() or not np.isfinite(sesoi) or sesoi < 0:
        return {**result, "category": "unclear"}
    mean = result["mean"]
    if np.ptp(values) == 0:  # no spread: the mean is known exactly, each test's p is 0 or 1
        result.update(p_above=float(not mean > sesoi), p_below=float(not mean < -sesoi),
                      p_equivalent=float(not (abs(mean) < sesoi or mean == 0)))
    else:
        with warnings.catch_warnings():  # nearly equal values: SciPy warns of precision, the test stands
            warnings.simplefilter("ignore", RuntimeWarning)
            above = stats.ttest_1samp(values, sesoi, alternative="greater").pvalue
            below = stats.ttest_1samp(values, -sesoi, alternative="less").pvalue
            # TOST: above -sesoi (H0 mean <= -sesoi) and below +sesoi (H0 mean >= +sesoi).
            lower = stats.ttest_1samp(values, -sesoi, alternative="greater").pvalue
            upper = stats.ttest_1samp(values, sesoi, alternative="less").pvalue
        result.update(p_above=float(above), p_below=float(below), p_equivalent=float(max(lower, upper)))
    if result["p_above"] < alpha:
        category = "holds"
    elif result["p_below"] < alpha:
        category = "reversed"
    elif result["p_equivalent"] < alpha:
        category = "negligible"
    else:
        category = "unclear"
    return {**result, "category": category}


def best_and_regret(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` is (draws x strategies), higher better. Per strategy: the probability of being best
    (the share of draws where it is best; a tie shares the draw equally, so the probabilities sum to
    1), its Monte Carlo standard error, and the expected regret (the mean over draws of the best
    value minus its own; Savage 1951's regret, as robust decision making reads it)."""
    values = np.asarray(values, dtype=np.float64)
    top = values.max(axis=1, keepdims=True)
    at_top = np.abs(values - top) <= 1e-12 * np.maximum(np.abs(top), 1e-12)
    p_best = (at_top / at_top.sum(axis=1, keepdims=True)).mean(axis=0)
    mc_se = np.sqrt(p_best * (1.0 - p_best) / len(values))
    return p_best, mc_se, (top - values).mean(axis=0)
