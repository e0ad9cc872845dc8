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
