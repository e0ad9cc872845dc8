"""The pattern scorecard (``coprod patterns``) as text: console tables, and the reports written once
as Markdown (``scorecard.md`` for one or several scenarios, ``informativeness.md`` over the prior or
a posterior; ``reports.render`` makes the HTML of each)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coprod.reports.render import cell, plural, warning

NOT_APPLICABLE = "not applicable"  # the scorecard's result for a statistic undefined in every replication


def _number(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.3f}"


def _interval_text(row) -> str:
    if not (np.isfinite(row.ci_low) and np.isfinite(row.ci_high)):
        return "n/a"
    return f"[{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _result_word(row, bold_fail: bool = True) -> str:
    """A pattern's result; an assumption check (restates an input of the model) is marked: it is
    shown but never counted in the bottom line."""
    word = "**fail**" if row.result == "fail" and bold_fail else row.result
    return word if getattr(row, "counted", True) else f"{word} (assumption check)"


def bottom_line(card: pd.DataFrame) -> str:
    """``k of m applicable patterns pass (j not applicable)`` for one scenario's rows."""
    counted = card[card["counted"]] if "counted" in card else card
    applicable = counted[counted["result"] != NOT_APPLICABLE]
    text = f"{int((applicable['result'] == 'pass').sum())} of {len(applicable)} applicable patterns pass"
    missing = len(counted) - len(applicable)
    return text + (f" ({missing} not applicable)" if missing else "")


def text_table(card: pd.DataFrame) -> str:
    width = max(len("pattern"), *(len(n) for n in card["pattern"]))
    lines = []
    for scenario, rows in card.groupby("scenario", sort=False):
        if card["scenario"].nunique() > 1:
            lines.append(f"-- {scenario}")
        lines.append(f"{'pattern':<{width}}  {'target':>14}  {'model':>9}  {'95% interval':>20}  result")
        for row in rows.itertuples():
            lines.append(f"{row.pattern:<{width}}  {row.target:>14}  {_number(row.value):>9}  "
                         f"{_interval_text(row):>20}  {_result_word(row, bold_fail=False).replace('fail', 'FAIL')}")
        lines.append(f"{scenario}: {bottom_line(rows)}")
    return "\n".join(lines)


def _sizes(info: dict[str, Any]) -> str:
    return (f"{plural(info['citizens'], 'citizen')}, {plural(info['steps'], 'month')}, "
            f"{plural(info['replications'], 'replication')} "
            f"(seeds {info['seed']}..{info['seed'] + info['replications'] - 1}"
            f"{' at every point' if info.get('points') else ''}), engine numba.")


RULES = ("A band passes when the mean over replications lies inside it; a direction passes when the 95% interval "
         "(t interval of the mean) excludes 0 on that side. A statistic undefined in every replication (e.g. the "
         "ratio of individual to collective forms where no collective form is on offer) does not apply to that "
         "scenario: it is reported as *not applicable*, neither pass nor fail, and a replication where it is "
         "undefined is left out of the mean. With few replications a t interval can reach past the ends of a "
         "statistic's scale (above 1 for a share); the mean itself never does.")


def markdown(card: pd.DataFrame, info: dict[str, Any], statistics: dict[str, str]) -> str:
    """The scorecard of one or several scenarios, once, as Markdown (``scorecard.html`` is this,
    rendered); ``statistics`` says in words what each statistic measures."""
    scenarios = list(dict.fromkeys(card["scenario"]))
    lines = [f"# Pattern scorecard: {', '.join(scenarios)}", "", _sizes(info), "",
             # the count first, as a reader looks for it; per scenario when several were scored
             "**" + "; ".join(f"{s}: {bottom_line(card[card['scenario'] == s])}" for s in scenarios) + ".**", ""]
    if info["replications"] < 5:
        lines += [warning(f"With {plural(info['replications'], 'replication')} the 95% intervals are wide and a "
                          "direction can rarely pass; score with at least 5 (`--replications`)."), ""]
    lines += [RULES, ""]
    if len(scenarios) == 1:
        lines += ["| pattern | target | model | 95% interval | result |", "|---|---|---|---|---|"]
        for row in card.itertuples():
            lines.append(f"| {cell(row.title)} (`{row.pattern}`) | {cell(row.target)} | {_number(row.value)} | "
                         f"{_interval_text(row)} | {_result_word(row)} |")
        lines += ["", f"{bottom_line(card)}."]
    else:
        lines += ["Each cell: the mean over replications, its 95% interval and the result.", "",
                  "| pattern | target | " + " | ".join(cell(s) for s in scenarios) + " |",
                  "|---|---|" + "---|" * len(scenarios)]
        for pattern, rows in card.groupby("pattern", sort=False):
            by_scenario = rows.set_index("scenario")
            cells = []
            for s in scenarios:
                row = next(by_scenario.loc[[s]].itertuples())
                cells.append(NOT_APPLICABLE if row.result == NOT_APPLICABLE else
                             f"{_number(row.value)} {_interval_text(row)} {_result_word(row)}")
            first = rows.iloc[0]
            lines.append(f"| {cell(first['title'])} (`{pattern}`) | {cell(first['target'])} | "
                         + " | ".join(cells) + " |")
        lines.append("| **bottom line** | | " + " | ".join(
            bottom_line(card[card["scenario"] == s]) for s in scenarios) + " |")
    lines += ["", "## Patterns", ""]
    for row in card.drop_duplicates("pattern").itertuples():
        lines += [f"### {row.title} (`{row.pattern}`)", "", f"- Source: {row.source}",
                  f"- Statistic: `{row.statistic}`: {statistics[row.statistic]}",
                  f"- How measured: {row.note}", ""]
    return "\n".join(lines)


def _share(row) -> str:
    if not np.isfinite(row.pass_share):
        return NOT_APPLICABLE
    return f"{row.pass_share:.0%} [{row.pass_low:.0%}, {row.pass_high:.0%}]"


def _range(row) -> str:
    if not (np.isfinite(row.value_p05) and np.isfinite(row.value_p95)):
        return "n/a"
    return f"{row.value_p05:.3f} to {row.value_p95:.3f}"


def text_informativeness(table: pd.DataFrame) -> str:
    width = max(len("pattern"), *(len(n) for n in table["pattern"]))
    lines = []
    for scenario, rows in table.groupby("scenario", sort=False):
        lines += [f"-- {scenario}", f"{'pattern':<{width}}  {'target':>14}  {'passes at (95% Wilson)':>24}  "
                                    f"{'value 5-95%':>22}  flag"]
        for row in rows.itertuples():
            lines.append(f"{row.pattern:<{width}}  {row.target:>14}  {_share(row):>24}  {_range(row):>22}  {row.flag}")
    return "\n".join(lines)


def informativeness_markdown(table: pd.DataFrame, info: dict[str, Any]) -> str:
    """How often each pattern passes over the prior's Latin hypercube (or under posterior draws)."""
    prior = info["design"] == "prior"
    where = (f"{plural(info['points'], 'Latin-hypercube point')} over each scenario's `[uncertain]` ranges" if prior
             else f"{plural(info['points'], 'draw')} from the posterior of `{info['posterior']}`")
    lines = [f"# Pattern scorecard {'over the prior' if prior else 'under the posterior'}: {info['scenario']}", "",
             f"{where}; at each, {_sizes(info)}", "", RULES, "",
             "Per pattern: the share of points where it passes (of the points where it applies) with its Wilson "
             "95% interval, and the 5-95% range of its value (the per-point mean) over the points."]
    if prior:
        lines += ["", "A pattern that passes at 95% of the prior's points or more *cannot discriminate*: it "
                      "holds whatever the uncertain parameters are, so it says little about them (it may still "
                      "say something about the model's structure). One that passes at 5% or fewer *fits only a "
                      "corner* of the ranges: it is informative, or the model meets it only by tuning; one that never "
                      "passes *fits nowhere in these ranges*: the mechanism, not the parameters, is off."]
        if info["points"] < 20:
            lines += ["", warning(f"With {plural(info['points'], 'point')} a share is known only roughly (see the "
                                  "Wilson intervals); the flags follow the share itself and are provisional. Use "
                                  "`--prior 50` or more for a verdict.")]
    for scenario, rows in table.groupby("scenario", sort=False):
        lines += ["", f"## {scenario}", "", "| pattern | target | passes at | value 5-95% | flag |",
                  "|---|---|---|---|---|"]
        for row in rows.itertuples():
            lines.append(f"| {cell(row.title)} (`{row.pattern}`) | {cell(row.target)} | {_share(row)} | "
                         f"{_range(row)} | {row.flag} |")
    lines += ["", "## Files", "", "`informativeness.csv` (scenario, pattern, pass_share, pass_low, pass_high, "
              "value_p05, value_p95, flag), `points.csv` (the scorecard at each point, with its parameter values), "
              "`replications.csv` (every replication's value), `manifest.json`.", ""]
    return "\n".join(lines)
