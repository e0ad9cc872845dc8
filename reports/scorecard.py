"""The pattern scorecard (``coprod patterns``) as text: a console table, and the report written once
as Markdown (``scorecard.md``; ``reports.render`` makes ``scorecard.html`` of it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coprod.reports.render import cell, plural, warning


def _number(x: float) -> str:
    return "undefined" if not np.isfinite(x) else f"{x:.3f}"


def _interval_text(row) -> str:
    if not (np.isfinite(row.ci_low) and np.isfinite(row.ci_high)):
        return "undefined"
    return f"[{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _result(row, passed: str, failed: str) -> str:
    """A pattern's result; an assumption check (restates an input) is marked and not counted."""
    result = passed if row.passed else failed
    return result if getattr(row, "counted", True) else f"{result} (assumption check)"


def _total(card: pd.DataFrame) -> str:
    counted = card[card["counted"]] if "counted" in card else card
    return f"{int(counted['passed'].sum())} of {len(counted)} patterns pass"


def text_table(card: pd.DataFrame) -> str:
    width = max(len("pattern"), *(len(n) for n in card["pattern"]))
    lines = [f"{'pattern':<{width}}  {'target':>14}  {'model':>9}  {'95% interval':>20}  result"]
    for row in card.itertuples():
        lines.append(f"{row.pattern:<{width}}  {row.target:>14}  {_number(row.value):>9}  "
                     f"{_interval_text(row):>20}  {_result(row, 'pass', 'FAIL')}")
    lines.append(_total(card))
    return "\n".join(lines)


def markdown(card: pd.DataFrame, info: dict[str, Any], statistics: dict[str, str]) -> str:
    """The scorecard, once, as Markdown (``scorecard.html`` is this, rendered); ``statistics`` says
    in words what each statistic measures."""
    lines = [f"# Pattern scorecard: {info['scenario']}", "",
             f"{plural(info['citizens'], 'citizen')}, {plural(info['steps'], 'month')}, "
             f"{plural(info['replications'], 'replication')} "
             f"(seeds {info['seed']}..{info['seed'] + info['replications'] - 1}), engine numba.", ""]
    if info["replications"] < 5:
        lines += [warning(f"With {plural(info['replications'], 'replication')} the 95% intervals are wide and a "
                          "direction can rarely pass; score with at least 5 (`--replications`)."), ""]
    lines += ["A band passes when the mean over replications lies inside it; a direction passes when "
              "the 95% interval (t interval of the mean) excludes 0 on that side. With few replications a "
              "t interval can reach past the ends of a statistic's scale (above 1 for a share); the mean itself "
              "never does.", "",
              "| pattern | target | model | 95% interval | result |", "|---|---|---|---|---|"]
    for row in card.itertuples():
        lines.append(f"| {cell(row.title)} (`{row.pattern}`) | {cell(row.target)} | {_number(row.value)} | "
                     f"{_interval_text(row)} | {_result(row, 'pass', '**fail**')} |")
    lines += ["", f"{_total(card)}.", "", "## Patterns", ""]
    for row in card.itertuples():
        lines += [f"### {row.title} (`{row.pattern}`)", "", f"- Source: {row.source}",
                  f"- Statistic: `{row.statistic}`: {statistics[row.statistic]}",
                  f"- How measured: {row.note}", ""]
    return "\n".join(lines)
