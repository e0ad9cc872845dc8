"""The one report pipeline: Markdown in, one self-contained printable page out."""

import base64

import pytest

from coprod.reports.render import plural, table, to_html, warning
from coprod.reports.words import outcome_name, strategy_names


def test_markdown_is_rendered_not_transcribed():
    text = "# Title\n\nA *claim* holds `often`; p < 0.05.\n\n" + table(["a", "b|c"], [["**1**", "x|y"]]) + "\n"
    page = to_html(text)
    assert "<title>Title</title>" in page and "<h1>Title</h1>" in page
    assert "<em>claim</em>" in page and "<code>often</code>" in page and "p &lt; 0.05" in page
    assert "<td><strong>1</strong></td>" in page and "<th>b|c</th>" in page and "<td>x|y</td>" in page
    assert "@page" in page and "@media print" in page and "http" not in page


def test_images_are_embedded_and_a_missing_one_is_an_error():
    png = b"\x89PNG fake"
    page = to_html("![effects](a.png)\n", {"a.png": png})
    assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in page and 'src="a.png"' not in page
    with pytest.raises(KeyError, match="b.png"):
        to_html("![effects](b.png)\n", {"a.png": png})


def test_words_for_readers():
    assert plural(1, "replication") == "1 replication" and plural(2, "replication") == "2 replications"
    assert plural(1, "Latin-hypercube point") == "1 Latin-hypercube point"
    assert outcome_name("efficiency_precision_long") == "Efficiency & precision (long horizon)"
    assert outcome_name("wellbeing_gini") == "wellbeing Gini (inequality)"
    assert "<strong>Warning:</strong>" in to_html(warning("short run"))

    class Scenario:
        title = "New Public Management"

    class Strategy:
        def __init__(self, label):
            self.label, self.scenario = label, Scenario()

    assert strategy_names([Strategy("npm"), Strategy("npm#2")]) == {
        "npm": "New Public Management", "npm#2": "New Public Management #2"}


def test_intervals_come_from_scipy_and_match_the_textbook():
    import math

    from scipy import stats

    from coprod.analysis.statistics import mean_interval, paired_interval, wilson

    mean, low, high = mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3))
    assert mean_interval([4.0, 4.0]) == (4.0, 4.0, 4.0)  # no spread: the mean is known exactly
    assert math.isnan(mean_interval([1.0])[1]) and math.isnan(mean_interval([1.0, float("nan")])[0])
    low, high = paired_interval([1.0, 2.0, 4.0], [0.0, 1.5, 2.0])
    assert low < (1.0 + 0.5 + 2.0) / 3 < high
    low, high = wilson(8, 10)  # Wilson (1927): 0.490 to 0.943
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 0) == (0.0, 1.0)


def test_scorecard_says_its_count_first_and_leaves_assumption_checks_out_of_it():
    """A reader looks for the pass count first (issue 27); an assumption check is shown, never counted."""
    import numpy as np
    import pandas as pd

    from coprod.reports import scorecard

    rows = [("a", "pass", True), ("b", "fail", True), ("c", "not applicable", True), ("d", "pass", False)]
    card = pd.DataFrame([{"scenario": "default", "pattern": name, "title": name.upper(), "statistic": "s",
                          "target": "[0, 1]", "value": 0.5 if result != "not applicable" else np.nan,
                          "ci_low": 0.4, "ci_high": 0.6, "result": result, "passed": result == "pass",
                          "counted": counted, "source": "src", "note": "n"} for name, result, counted in rows])
    info = {"citizens": 100, "steps": 48, "replications": 5, "seed": 0}
    text = scorecard.markdown(card, info, {"s": "a statistic"})
    first = "**default: 1 of 2 applicable patterns pass (1 not applicable).**"
    assert first in text and text.index(first) < text.index("| pattern |")
    assert "pass (assumption check)" in text


def test_compare_lists_hashed_seeds_instead_of_a_range():
    from coprod.reports.compare_report import _seed_list

    assert _seed_list([4088532484, 1008912121]) == "4088532484, 1008912121"
    assert _seed_list([1, 2, 3, 4, 5]) == "1, 2, 3, … (5 in all)"
