"""Plots of sensitivity tables (``coprod analyze``): indices with their intervals, Sobol convergence and
second-order interactions, one panel per outcome. Each design (``analysis/designs/``) says which
figures it wants (``Plot``: a kind, a table, columns, a title); this module draws each kind, so the
analysis floor never imports matplotlib's drawing and the reports floor holds no design's if-chain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coprod.analysis.designs.registry import Plot
from coprod.reports.figures import pyplot


def _grid(n: int):
    plt = pyplot()  # loaded only when a plot is drawn: `analyze --no-plots` never pays for it

    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return plt, fig, list(axes.flat[:n])


def _bars(table: pd.DataFrame, columns: list[tuple[str, str | None]], path: Path, title: str) -> None:
    outcomes = list(dict.fromkeys(table["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    width = 0.8 / len(columns)
    for ax, outcome in zip(axes, outcomes):
        part = table[table["outcome"] == outcome]
        x = np.arange(len(part))
        for k, (col, err) in enumerate(columns):
            ax.bar(x + (k - (len(columns) - 1) / 2) * width, part[col], width,
                   yerr=part[err] if err else None, capsize=3, label=col)
        ax.set_xticks(x, part["parameter"], rotation=45, ha="right", fontsize=8)
        ax.set_title(outcome, fontsize=10)
        ax.axhline(0, color="grey", lw=0.5)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _convergence(plot: Plot, path: Path) -> None:
    conv = plot.frame
    outcomes = list(dict.fromkeys(conv["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes, outcomes):
        part = conv[conv["outcome"] == outcome]
        for name, g in part.groupby("parameter", sort=False):
            line, = ax.plot(g["base_samples"], g["ST"], marker="o", label=f"{name} ST")
            ax.plot(g["base_samples"], g["S1"], marker=".", ls="--", color=line.get_color())
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples N")
        ax.set_title(outcome, fontsize=10)
    axes[0].legend(fontsize=7)
    fig.suptitle(plot.title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _interactions(plot: Plot, path: Path) -> None:
    s2, names = plot.frame, list(plot.names)
    outcomes = list(dict.fromkeys(s2["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes, outcomes):
        m = np.full((len(names), len(names)), np.nan)
        for row in s2[s2["outcome"] == outcome].itertuples():
            i, j = names.index(row.parameter_1), names.index(row.parameter_2)
            m[i, j] = m[j, i] = row.S2
        image = ax.imshow(m, cmap="viridis")
        if len(names) <= 8:
            for (i, j), value in np.ndenumerate(m):
                if np.isfinite(value):
                    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color="white")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title(outcome, fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(plot.title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bar_chart(plot: Plot, path: Path) -> None:
    _bars(plot.frame, list(plot.columns), path, plot.title)


# How each kind of figure a design may ask for is drawn.
DRAWERS = {"bars": _bar_chart, "convergence": _convergence, "interactions": _interactions}


def draw(plot: Plot, out: Path) -> None:
    """Draw one figure a design asked for (``Design.plots``) into ``out / plot.file``."""
    DRAWERS[plot.kind](plot, out / plot.file)
