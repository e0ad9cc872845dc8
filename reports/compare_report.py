"""Render a strategy comparison: tables (CSV + Parquet), PNG plots, and the report written once as
Markdown (report.md) and rendered to one self-contained page (report.html, ``reports.render``).

``write_comparison`` builds the whole result directory in a temporary sibling and renames it into
place at the end (``coprod.core.storage.atomic_directory``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from coprod.analysis.effect_sizes import from_manifest
from coprod.core.storage import atomic_directory, write_json, write_parquet, write_tables
from coprod.model.outcomes import DIMENSIONS, HORIZON_NAMES
from coprod.reports.figures import pyplot
from coprod.reports.render import plural, table, to_html, warning
from coprod.reports.words import BOUNDED, RISK_COLUMNS, RISK_LABELS, dimension_name, horizon_months, strategy_names

PLOTS = {
    "trajectories.png": "Trajectories of the five dimensions",
    "radar.png": "The five dimensions side by side",
    "risks.png": "Inequality, social capital and costs",
    "regret.png": "Robustness: worst-case regret",
}

def _colors(n: int) -> list:
    cmap = pyplot().colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _label(dim: str) -> str:
    return dimension_name(dim)


# --- plots -----------------------------------------------------------------------------------------

def plot_trajectories(c, path: Path) -> None:
    """Mean trajectory per strategy with the band holding the central 95% of replications."""
    plt = pyplot()
    horizon = c.settings["horizon"]
    labels = [s.label for s in c.strategies]
    fig, grid = plt.subplots(2, 3, figsize=(14, 7.2), sharex=True)
    axes = list(grid.flat)
    for ax, dim in zip(axes, DIMENSIONS):
        column = f"{dim}_{horizon}"
        for label, color in zip(labels, _colors(len(labels))):
            sub = c.trajectories[c.trajectories.strategy == label]
            g = sub.groupby("step")[column]
            mean = g.mean()
            low, high = g.quantile(0.025), g.quantile(0.975)
            ax.fill_between(mean.index, low.to_numpy(), high.to_numpy(), color=color, alpha=0.18, lw=0)
            ax.plot(mean.index, mean.to_numpy(), color=color, lw=1.8, label=label)
        ax.set_title(_label(dim), fontsize=11)
        ax.set_ylabel(f"{horizon} reading")
        ax.grid(alpha=0.3)
    for ax in (*grid[1], grid[0][2]):  # the top-right panel has no panel below it
        ax.set_xlabel("month")
        ax.tick_params(labelbottom=True)
    handles, names = axes[0].get_legend_handles_labels()
    axes[-1].axis("off")
    axes[-1].legend(handles, names, loc="center", fontsize=11, frameon=False)
    fig.suptitle(f"Mean over {c.settings['replications']} replications (line) and central 95% of replications (band)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_radar(c, path: Path) -> None:
    plt = pyplot()
    horizon = c.settings["horizon"]
    labels = [s.label for s in c.strategies]
    angles = np.linspace(0, 2 * np.pi, len(DIMENSIONS), endpoint=False).tolist()
    fig = plt.figure(figsize=(6.2, 5.6))
    ax = fig.add_subplot(111, polar=True)
    values_all = []
    for label, color in zip(labels, _colors(len(labels))):
        rows = c.summary[(c.summary.strategy == label)].set_index("metric")
        values = [float(rows.loc[f"{d}_{horizon}", "mean"]) for d in DIMENSIONS]
        values_all += values
        ax.plot(angles + angles[:1], values + values[:1], color=color, lw=2, label=label)
        ax.fill(angles + angles[:1], values + values[:1], color=color, alpha=0.08)
    ax.set_xticks(angles)
    ax.set_xticklabels([_label(d) for d in DIMENSIONS], fontsize=9)
    low = min(0.0, min(values_all))
    ax.set_ylim(low, max(1.0, max(values_all)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.05), fontsize=9, frameon=False)
    ax.set_title(f"Mean {horizon} reading of each dimension", fontsize=11, pad=18)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_risks(c, path: Path) -> None:
    """Small multiples: mean and 95% CI per strategy for inequality, ties and costs."""
    plt = pyplot()
    labels = [s.label for s in c.strategies]
    metrics = list(RISK_COLUMNS)
    ncols = 5
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(17, 3.2 * nrows))
    colors = _colors(len(labels))
    for ax, metric in zip(axes.flat, metrics):
        rows = c.summary[c.summary.metric == metric].set_index("strategy").loc[labels]
        err = np.vstack([(rows["mean"] - rows["ci_low"]).to_numpy(), (rows["ci_high"] - rows["mean"]).to_numpy()])
        err = np.nan_to_num(err)
        ax.bar(range(len(labels)), rows["mean"].to_numpy(), yerr=err, color=colors, capsize=4, alpha=0.85)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(RISK_LABELS[metric], fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.suptitle("Mean at the end of the run with 95% confidence interval of the mean", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_regret(c, path: Path) -> None:
    plt = pyplot()
    labels = [s.label for s in c.strategies]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    width = 0.8 / len(labels)
    x = np.arange(len(DIMENSIONS))
    for i, (label, color) in enumerate(zip(labels, _colors(len(labels)))):
        rows = c.robust[c.robust.strategy == label].set_index("dimension").loc[list(DIMENSIONS)]
        ax.bar(x + i * width - 0.4 + width / 2, rows["worst_regret"].to_numpy(), width, color=color, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels([_label(d) for d in DIMENSIONS], fontsize=9)
    ax.set_ylabel("worst-case regret")
    ax.set_title(f"Worst-case regret over {len(c.robust_points)} Latin-hypercube points (lower is more robust)",
                 fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# --- numbers as text --------------------------------------------------------------------------------

def _f(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    text = f"{x:.{digits}f}"
    return f"{0.0:.{digits}f}" if text.strip("-0.") == "" else text  # no "-0.000"


def _ci(row, metric: str) -> str:
    """The 95% interval, kept inside the metric's scale (a t-interval can cross it); a dagger marks
    an end that was cut back to the scale."""
    low, high = row["ci_low"], row["ci_high"]
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    bounds = BOUNDED.get(metric.rsplit("_", 1)[0] if metric.rsplit("_", 1)[-1] in HORIZON_NAMES else metric)
    if metric.endswith("_impact"):
        bounds = (-1.0, 1.0)
    cut = ""
    if bounds is not None:
        if low < bounds[0] or high > bounds[1]:
            cut = "†"
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return f"[{_f(low)}, {_f(high)}]{cut}"


def _value(row, metric: str, best: bool = False) -> str:
    mean = f"**{_f(row['mean'])}**" if best else _f(row["mean"])
    return f"{mean} {_ci(row, metric)}".strip()


# --- tables -----------------------------------------------------------------------------------------

def horizon_table(c, dim: str, names: dict[str, str]) -> str:
    """Rows per strategy, columns per horizon: mean, interval, the single best in bold."""
    labels = [s.label for s in c.strategies]
    summary = c.summary.set_index(["strategy", "metric"])
    best = {h: max(summary.loc[(label, f"{dim}_{h}"), "mean"] for label in labels) for h in HORIZON_NAMES}
    rows = []
    for label in labels:
        cells = [names[label]]
        for h in HORIZON_NAMES:
            row = summary.loc[(label, f"{dim}_{h}")]
            alone = (len(labels) > 1 and row["mean"] >= best[h] - 1e-12
                     and sum(summary.loc[(x, f"{dim}_{h}"), "mean"] >= best[h] - 1e-12 for x in labels) == 1)
            cells.append(_value(row, f"{dim}_{h}", alone))
        rows.append(cells)
    return table(["strategy", *HORIZON_NAMES], rows)


def risk_table(c, names: dict[str, str]) -> str:
    labels = [s.label for s in c.strategies]
    summary = c.summary.set_index(["strategy", "metric"])
    rows = [[RISK_LABELS[metric], *(_value(summary.loc[(label, metric)], metric) for label in labels)]
            for metric in RISK_COLUMNS]
    return table(["outcome", *(names[label] for label in labels)], rows)


def ranking_table(c, names: dict[str, str]) -> str:
    rows = []
    for dim in DIMENSIONS:
        sub = c.wins[c.wins.dimension == dim].sort_values("rank")
        for _, row in sub.iterrows():
            name = names[row.strategy]
            rows.append([_label(dim) if row["rank"] == 1 else "", str(row["rank"]),
                         f"**{name}**" if row["rank"] == 1 and row.win_share > 0 else name, _f(row["mean"]),
                         f"{100 * row.win_share:.0f}%", f"{100 * row.tie_share:.0f}%"])
    return table(["dimension", "rank", "strategy", "mean", "best alone", "tied best"], rows)


def robust_table(c, names: dict[str, str]) -> str:
    rows = []
    for dim in DIMENSIONS:
        sub = c.robust[c.robust.dimension == dim]
        least = sub.worst_regret.min()
        for i, (_, row) in enumerate(sub.iterrows()):
            worst = _f(row.worst_regret)
            rows.append([_label(dim) if i == 0 else "", names[row.strategy], f"{100 * row.best_share:.0f}%",
                         f"{100 * row.tie_share:.0f}%", _f(row["mean"]), _f(row.mean_regret),
                         f"**{worst}**" if row.worst_regret <= least + 1e-12 else worst])
    return table(["dimension", "strategy", "best alone", "tied best", "mean", "mean regret", "worst-case regret"], rows)


def posterior_table(c, names: dict[str, str]) -> str:
    """Per dimension and strategy under the posterior draws: probability best, expected regret, spread."""
    rows = []
    for dim in DIMENSIONS:
        sub = c.posterior[c.posterior.dimension == dim]
        likeliest, least = sub.p_best.max(), sub.expected_regret.min()
        for i, (_, row) in enumerate(sub.iterrows()):
            p_best = f"{100 * row.p_best:.0f}% ± {100 * row.p_best_se:.0f}"
            regret = _f(row.expected_regret)
            rows.append([_label(dim) if i == 0 else "", names[row.strategy],
                         f"**{p_best}**" if row.p_best >= likeliest - 1e-12 else p_best,
                         f"**{regret}**" if row.expected_regret <= least + 1e-12 else regret,
                         _f(row.worst_regret), f"{_f(row['mean'])} [{_f(row.q05)}, {_f(row.q95)}]"])
    return table(["dimension", "strategy", "P(best) ± MC s.e.", "expected regret", "worst regret",
                  "mean [5%, 95%] over draws"], rows)


def posterior_intro(c, names: dict[str, str]) -> str:
    p = c.settings["posterior"]
    applied = "; ".join(f"{names[label]} takes {', '.join(taken) or 'none of them (it fixes them itself)'}"
                        for label, taken in p["applied"].items())
    return (f"{plural(p['draws'], 'draw')} from the posterior of the calibration in `{p['folder']}` (scenario "
            f"`{p['scenario']}`; calibrated {', '.join(p['parameters'])}), drawn in proportion to the particles' "
            "weights. Each draw pairs one particle with one seed, the same for every strategy, so the spread over "
            "draws holds parameter and stochastic uncertainty together. P(best) is the share of draws where the "
            "strategy is best (a tie shares the draw), with its Monte Carlo standard error; regret at a draw is "
            "the best strategy's value minus this one's, and the expected regret its mean over the draws (Savage "
            "1951; Lempert, Popper & Bankes 2003). The highest P(best) and the least expected regret per dimension "
            "are in bold. A calibrated parameter a strategy fixes itself keeps its value, as in the robustness "
            f"section: {applied}. The posterior was fitted in `{p['scenario']}` and is applied to every strategy: "
            "read it as \"if the citizens are as calibrated there\".")


def boxes_table(c, names: dict[str, str]) -> str:
    """Where each strategy is best: PRIM's box (quoted only when stable), its checks and CART's."""
    rows = []
    for dim in DIMENSIONS:
        sub = c.robust_boxes[c.robust_boxes.dimension == dim]
        for i, (_, row) in enumerate(sub.iterrows()):
            searched = isinstance(row.get("box_rule"), str) and row.get("box_rule") != ""
            where = row.holds_when
            if searched and row.box_status == "unstable":
                status = row.get("points_needed_status", "")
                need = (f"; stable needs at least {int(row.points_needed)} points" if row.points_needed else
                        "; points for a stable box not estimable (too few in the box)" if status == "not estimable"
                        else "")
                where = f"{where} (indicative: {row.box}{need})"
            elif searched and row.box_status == "stable":
                where = f"**{where}**"
            rows.append([_label(dim) if i == 0 else "", names[row.strategy], f"{row.best_points} of {row.points}",
                         where, _share(row.get("box_density"), searched), _share(row.get("box_coverage"), searched),
                         (row.get("box_quasi_p") or "–") if searched else "–",
                         _share(row.get("box_stability"), searched),
                         (row.get("cart_box") or "no leaf") if searched else "–",
                         row.get("methods_agree", "") if searched else "–"])
    return table(["dimension", "strategy", "best at", "where (PRIM)", "density", "coverage", "quasi-p", "stability",
                  "CART", "PRIM vs CART"], rows)


def _share(value, searched: bool) -> str:
    """A box's share as a percentage, or a dash where no box was searched or the share is missing."""
    return f"{100 * value:.0f}%" if searched and pd.notna(value) else "–"


def boxes_intro(c) -> str:
    rule = c.settings.get("box_rule") or {}
    return (f"Where each strategy is best (alone or tied) across the {c.settings['samples']} points. PRIM (the "
            f"Patient Rule Induction Method, Friedman & Fisher 1999) finds a box of parameter ranges by peeling off, "
            f"step by step, the ranges where the strategy is not best; it takes the highest-coverage box whose density "
            f"is >= {rule.get('density', 0.8):.0%} with coverage >= {rule.get('coverage', 0.3):.0%} (Bryant & Lempert "
            f"2010); limits with a quasi-p-value above {rule.get('significance', 0.05)} (one-sided binomial test; "
            f"Kwakkel & Jaxa-Rozen 2016) are dropped, and the search is repeated on {rule.get('resamples', 20)} "
            f"random halves of the points. A box is quoted only when >= {rule.get('stable_share', 0.7):.0%} of "
            f"them restrict the same parameters; otherwise it is \"no stable condition found\", with the box as "
            f"indicative and the least number of points a stable answer needs (a floor), or that it cannot be "
            f"estimated from a box of too few points. CART (a pruned decision tree) is shown beside it.")


# --- the document -----------------------------------------------------------------------------------

def size_warnings(c) -> list[str]:
    """What the reader must know before trusting the numbers: a run too short for the horizon it
    reports, too few replications for a verdict."""
    s = c.settings
    out = []
    months = horizon_months(s["horizon"])
    if s["steps"] < months:
        out.append(f"the runs last {plural(s['steps'], 'month')}, shorter than the {months} months the "
                   f"{s['horizon']} horizon averages over, so its readings still carry the start-up values; run "
                   f"at least {months} months (`--steps {months}`) or rank at a shorter horizon (`--horizon`).")
    if s["replications"] < 6:
        out.append(f"with {plural(s['replications'], 'replication')} the sign test cannot reach p < 0.05 (its "
                   "smallest p is 2 / 2^n) and the intervals are wide; read differences as indicative only.")
    return out


def _seed_list(seeds: list[int]) -> str:
    """Seeds are hashes, not a range: list them, the first three and a count when there are more."""
    shown = ", ".join(str(seed) for seed in seeds[:3])
    return shown + (f", … ({len(seeds)} in all)" if len(seeds) > 3 else "")


def bottom_line(c, names: dict[str, str]) -> list[str]:
    """Which strategy wins where, and at what cost, in a few bullets."""
    horizon = c.settings["horizon"]
    summary = c.summary.set_index(["strategy", "metric"])
    lines = []
    for dim in DIMENSIONS:
        sub = c.wins[c.wins.dimension == dim].sort_values("rank")
        top = sub.iloc[0]
        tied = sub[sub["mean"] >= top["mean"] - 1e-12]
        if len(tied) > 1:
            lines.append(f"- **{_label(dim)}**: tied between {', '.join(names[x] for x in tied.strategy)}.")
            continue
        second = sub.iloc[1] if len(sub) > 1 else None
        runner_up = second.strategy if second is not None else ""
        pairs = c.pairwise[c.pairwise.metric == f"{dim}_{horizon}"]
        pair = pairs[((pairs.a == top.strategy) & (pairs.b == runner_up))
                     | ((pairs.b == top.strategy) & (pairs.a == runner_up))]
        clear = bool(pair.iloc[0].significant) if len(pair) else False
        meaningful = bool(pair.iloc[0].get("meaningful", True)) if len(pair) else True
        against = (f" ahead of {names[second.strategy]} ({_f(second['mean'])})" if second is not None else "")
        verdict = ("" if clear and meaningful else
                   " — no meaningful difference from the runner-up (smaller than the SESOI, "
                   f"{_f(pair.iloc[0].sesoi)})"
                   if not meaningful else
                   f" — yet with {plural(c.settings['replications'], 'replication')} the difference "
                   f"from the runner-up is not statistically significant (paired t-test p = "
                   f"{pair.iloc[0].t_p:.2g}; more replications would settle it)")
        lines.append(f"- **{_label(dim)}**: {names[top.strategy]} is best ({_f(top['mean'])}){against}, best alone in "
                     f"{100 * top.win_share:.0f}% of replications{verdict}.")
    if c.posterior is not None:
        likeliest = [c.posterior[c.posterior.dimension == dim].sort_values("p_best", ascending=False, kind="stable")
                     .iloc[0] for dim in DIMENSIONS]
        lines.append("- **Under the calibrated posterior**: most likely best " + "; ".join(
            f"on {_label(row.dimension).lower()}: {names[row.strategy]} (P = {100 * row.p_best:.0f}%, expected "
            f"regret {_f(row.expected_regret)})" for row in likeliest) + ".")
    labels = [s.label for s in c.strategies]
    cost = ", ".join(f"{names[x]} {_f(summary.loc[(x, 'total_public_cost'), 'mean'])}" for x in labels)
    hours = ", ".join(f"{names[x]} {_f(summary.loc[(x, 'total_citizen_hours'), 'mean'])}" for x in labels)
    lines.append(f"- **Cost over the whole run**: public cost (professional-hour equivalents, PHE) {cost}; "
                 f"citizen hours {hours}.")
    return lines


def sesoi_text(settings: dict) -> str:
    """What "no meaningful difference" means here: the smallest effect sizes of interest used."""
    table = from_manifest(settings.get("sesoi"))
    horizon = settings["horizon"]
    shown = [f"{d}_{horizon}" for d in DIMENSIONS] + list(RISK_COLUMNS)
    kinds: dict[str, list[str]] = {}
    for metric in shown:
        name = RISK_LABELS.get(metric) or _label(metric.rsplit("_", 1)[0])
        kinds.setdefault(table[metric].describe(), []).append(name)
    source = f"{settings['sesoi_file']} over analysis/effect_sizes.py" if settings.get("sesoi_file") \
        else "analysis/effect_sizes.py, where each has its reason"
    return ("A difference smaller than the metric's smallest effect size of interest (SESOI) is reported as *no "
            "meaningful difference*, significant or not, and two one-sided tests (TOST) say whether equivalence "
            "within it is shown. SESOI (" + source + "): "
            + "; ".join(f"{value} for {', '.join(names)}" for value, names in kinds.items()) + ".")


def render_markdown(c, manifest: dict, images: dict[str, bytes] | None = None) -> str:
    """The comparison report, once, as Markdown (``report.html`` is this, rendered)."""
    s = c.settings
    images = images or {}
    names = strategy_names(c.strategies)
    title = "Strategy comparison: " + " vs ".join(names[x.label] for x in c.strategies)
    out = [f"# {title}", "", f"## Bottom line ({s['horizon']} horizon)", ""]
    out += [warning(text[0].upper() + text[1:]) + "\n" for text in size_warnings(c)]
    out += [*bottom_line(c, names), "", "The sections below give the intervals, the tests and the trade-off of "
            "every pair.", "", "## How this was run", "", *_how_it_was_run(s)]
    if s.get("set"):
        out += ["Set for every strategy: " + ", ".join(f"`{x}`" for x in s["set"]) + ".", ""]
    rows = []
    for x in c.strategies:
        overrides = ", ".join(f"{k}={v}" for k, v in x.overrides.items() if k != "paradigm") or "none"
        rows.append([names[x.label], f"`{x.label}`", str(x.resolved["paradigm"]), x.scenario.description,
                     f"`{overrides}`"])
    out += ["## Strategies", "", table(["strategy", "scenario", "paradigm", "description", "overrides"], rows), ""]
    out += ["## Trade-offs in plain words", "", *(f"- {sentence}" for sentence in c.tradeoffs), ""]
    out += ["## Ranking per dimension", "",
            "“Best alone” is the share of replications (paired by seed) in which the strategy has the highest "
            "value on its own; “tied best” the share where it shares the top.", "", ranking_table(c, names), ""]
    if "radar.png" in images:
        out += ["![The five dimensions side by side](radar.png)", ""]
    out += ["## The five value dimensions at each horizon", "",
            "Mean over replications with its 95% interval; the single highest mean per horizon in bold.", ""]
    for dim in DIMENSIONS:
        out += [f"### {_label(dim)}", "", horizon_table(c, dim, names), ""]
    out += ["## Trajectories", "", "![Mean trajectory and the central 95% of replications](trajectories.png)", "",
            "## Inequality, social capital and costs", "", risk_table(c, names), "",
            "![Mean and 95% interval at the end of the run](risks.png)", ""]
    out += _robustness_section(c, names)
    if c.posterior is not None:
        out += [f"## Under the calibrated posterior ({s['horizon']} horizon)", "", posterior_intro(c, names), "",
                posterior_table(c, names), ""]
    out += ["## Reproducing", "",
            f"Command: `{manifest.get('command', '')}`. Created {manifest.get('created_utc', '')}, "
            f"coprod {manifest.get('versions', {}).get('coprod', '')}, git commit {manifest.get('git_commit')}. The "
            "tables are in this directory as CSV and Parquet; manifest.json holds every resolved parameter.", ""]
    return "\n".join(out)


def _how_it_was_run(s: dict) -> list[str]:
    """Sizes, seeds (common random numbers), the horizon, and how intervals and tests are made."""
    return [f"{plural(s['replications'], 'replication')} per strategy, {plural(s['steps'], 'month')}, engine "
            f"{s['engine']}, one seed per replication ({_seed_list(s['seeds'])}; all in manifest.json; replication r "
            f"of every strategy uses the same seed: common random numbers). Rankings, wins and trade-offs use the "
            f"{s['horizon']} horizon "
            f"(an average over about {horizon_months(s['horizon'])} months; impact is the long reading minus the first "
            f"month).", "",
            f"Intervals are 95% t-intervals of the mean, cut back to the scale where they cross it (the five "
            f"dimensions lie between 0 and 1, impact between −1 and 1, shares and the Gini between 0 and 1; a cut "
            f"end is marked †). Differences are paired by replication and tested with a two-sided paired t-test "
            f"(significant when p < {s['alpha']}), with an exact sign test beside it. No correction for multiple "
            f"comparisons. " + sesoi_text(s), ""]


def _robustness_section(c, names: dict[str, str]) -> list[str]:
    """Regret over the uncertain parameters and, where searched, where each strategy is best (nothing
    without ``--samples``)."""
    if c.robust is None:
        return []
    s = c.settings
    ranges = ", ".join(f"{k} ∈ [{v[0]:g}, {v[1]:g}]" for k, v in s["uncertain"].items())
    applied = "; ".join(f"{names[label]} varies {', '.join(varied) or 'nothing'}"
                        for label, varied in s["uncertain_applied"].items())
    out = ["## Robustness across uncertain parameters", "",
           f"{s['samples']} Latin-hypercube points over the union of the scenarios' uncertain ranges ({ranges}); "
           "every strategy runs at the same points with the same seeds. Regret at a point is the best "
           "strategy's value there minus this strategy's (Lempert, Popper & Bankes 2003); the smallest "
           "worst-case regret per dimension is in bold. A sampled parameter that a strategy fixes itself (its "
           "scenario or its paradigm's rule set sets it) keeps that strategy's value unless the strategy's own "
           f"[uncertain] table lists it: {applied}.", "", robust_table(c, names), "",
           "![Worst-case regret per dimension (lower is more robust)](regret.png)", ""]
    if c.robust_boxes is not None:
        out += ["### Where each strategy is best", "", boxes_intro(c), "", boxes_table(c, names), ""]
    return out


def write_comparison(out: Path, c, manifest: dict) -> None:
    """Write the whole comparison directory atomically."""
    with atomic_directory(out) as tmp:
        tables = {"finals": c.finals, "summary": c.summary, "wins": c.wins, "pairwise": c.pairwise}
        if c.robust is not None:
            tables.update({"robust_runs": c.robust_runs, "regret": c.robust, "robust_points": c.robust_points})
            if c.robust_boxes is not None:
                tables["robust_boxes"] = c.robust_boxes
        if c.posterior is not None:
            tables.update({"posterior_best": c.posterior, "posterior_runs": c.posterior_runs,
                           "posterior_draws": c.posterior_draws})
        write_tables(tmp, tables)
        write_parquet(tmp / "trajectories.parquet", c.trajectories)
        plot_trajectories(c, tmp / "trajectories.png")
        plot_radar(c, tmp / "radar.png")
        plot_risks(c, tmp / "risks.png")
        if c.robust is not None:
            plot_regret(c, tmp / "regret.png")
        images = {name: (tmp / name).read_bytes() for name in PLOTS if (tmp / name).exists()}
        (tmp / "tradeoffs.txt").write_text("\n".join(c.tradeoffs) + "\n", encoding="utf-8")
        report = render_markdown(c, manifest, images)
        (tmp / "report.md").write_text(report, encoding="utf-8")
        (tmp / "report.html").write_text(to_html(report, images), encoding="utf-8")
        write_json(tmp / "manifest.json", manifest)
