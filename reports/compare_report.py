"""Render a strategy comparison: tables (CSV + Parquet), PNG plots, report.html and report.md.

The HTML report is one self-contained file: images are embedded as base64 data URIs, the CSS is
inline (with print rules), and nothing is fetched from anywhere, so it opens offline and prints.
``write_comparison`` builds the whole result directory in a temporary sibling and renames it into
place at the end (``coprod.experiments.storage.atomic_directory``).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from coprod.experiments.storage import atomic_directory, write_json, write_parquet, write_tables
from coprod.model.outcomes import DIMENSIONS, HORIZON_NAMES
from coprod.reports.words import RISK_COLUMNS, RISK_LABELS

PLOTS = {
    "trajectories.png": "Trajectories of the five dimensions",
    "radar.png": "The five dimensions side by side",
    "risks.png": "Inequality, social capital and costs",
    "regret.png": "Robustness: worst-case regret",
}

CSS = """
:root { --ink:#1d2430; --muted:#5b6573; --line:#d9dee5; --band:#f4f6f9; --accent:#1f5fa8; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1180px; padding: 24px 32px 48px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.lead { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td.best { font-weight: 700; color: var(--accent); }
.ci { color: var(--muted); font-size: 12px; white-space: nowrap; }
figure { margin: 12px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figure.narrow img { max-width: 620px; }
table.left th, table.left td { text-align: left; }
figcaption { color: var(--muted); font-size: 13px; }
ul.tradeoffs li { margin-bottom: 6px; }
ul.tradeoffs li.ns { color: var(--muted); }
.meta { font-size: 13px; color: var(--muted); }
code { font-size: 12px; background: var(--band); padding: 1px 4px; }
.note { background: var(--band); border-left: 4px solid var(--accent); padding: 8px 12px; font-size: 14px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, figure { page-break-inside: avoid; break-inside: avoid; }
  figure img { border: none; max-height: 24cm; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 15mm; }
}
"""


def _colors(n: int) -> list:
    import matplotlib
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _label(dim: str) -> str:
    return dim.replace("_", " ")


# --- plots -----------------------------------------------------------------------------------------

def plot_trajectories(c, path: Path) -> None:
    """Mean trajectory per strategy with the band holding the central 95% of replications."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    ax.set_title(f"Worst-case regret over {len(c.robust_points)} Latin-hypercube points (lower is more robust)", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# --- tables as rows of text -------------------------------------------------------------------------

def _f(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    text = f"{x:.{digits}f}"
    return f"{0.0:.{digits}f}" if text.strip("-0.") == "" else text  # no "-0.000"


def _ci(row) -> str:
    return f"[{_f(row['ci_low'])}, {_f(row['ci_high'])}]"


def horizon_table(c, dim: str) -> tuple[list[str], list[list[tuple[str, str, bool]]]]:
    """Rows per strategy, columns per horizon: (mean, ci, best?)."""
    labels = [s.label for s in c.strategies]
    header = ["strategy"] + list(HORIZON_NAMES)
    summary = c.summary.set_index(["strategy", "metric"])
    best = {h: max(summary.loc[(label, f"{dim}_{h}"), "mean"] for label in labels) for h in HORIZON_NAMES}
    rows = []
    for label in labels:
        cells = [(label, "", False)]
        for h in HORIZON_NAMES:
            row = summary.loc[(label, f"{dim}_{h}")]
            cells.append((_f(row["mean"]), _ci(row), len(labels) > 1 and row["mean"] >= best[h] - 1e-12
                          and sum(summary.loc[(x, f"{dim}_{h}"), "mean"] >= best[h] - 1e-12 for x in labels) == 1))
        rows.append(cells)
    return header, rows


def risk_table(c) -> tuple[list[str], list[list[tuple[str, str, bool]]]]:
    labels = [s.label for s in c.strategies]
    summary = c.summary.set_index(["strategy", "metric"])
    header = ["outcome", *labels]
    rows = []
    for metric in RISK_COLUMNS:
        cells = [(RISK_LABELS[metric], "", False)]
        for label in labels:
            row = summary.loc[(label, metric)]
            cells.append((_f(row["mean"]), _ci(row), False))
        rows.append(cells)
    return header, rows


def ranking_table(c) -> tuple[list[str], list[list[tuple[str, str, bool]]]]:
    header = ["dimension", "rank", "strategy", "mean", "best alone", "tied best"]
    rows = []
    for dim in DIMENSIONS:
        sub = c.wins[c.wins.dimension == dim].sort_values("rank")
        for _, row in sub.iterrows():
            rows.append([(_label(dim) if row["rank"] == 1 else "", "", False), (str(row["rank"]), "", False),
                         (row.strategy, "", row["rank"] == 1 and row.win_share > 0),
                         (_f(row["mean"]), "", False), (f"{100 * row.win_share:.0f}%", "", False),
                         (f"{100 * row.tie_share:.0f}%", "", False)])
    return header, rows


def robust_table(c) -> tuple[list[str], list[list[tuple[str, str, bool]]]]:
    header = ["dimension", "strategy", "best alone", "tied best", "mean", "mean regret", "worst-case regret"]
    rows = []
    for dim in DIMENSIONS:
        sub = c.robust[c.robust.dimension == dim]
        least = sub.worst_regret.min()
        for i, (_, row) in enumerate(sub.iterrows()):
            rows.append([(_label(dim) if i == 0 else "", "", False), (row.strategy, "", False),
                         (f"{100 * row.best_share:.0f}%", "", False), (f"{100 * row.tie_share:.0f}%", "", False),
                         (_f(row["mean"]), "", False), (_f(row.mean_regret), "", False),
                         (_f(row.worst_regret), "", row.worst_regret <= least + 1e-12)])
    return header, rows


def boxes_table(c) -> tuple[list[str], list[list[tuple[str, str, bool]]]]:
    """Where each strategy is best: PRIM's box (quoted only when stable), its checks and CART's."""
    header = ["dimension", "strategy", "best at", "where (PRIM)", "density", "coverage", "quasi-p", "stability",
              "CART", "PRIM vs CART"]
    rows = []
    for dim in DIMENSIONS:
        sub = c.robust_boxes[c.robust_boxes.dimension == dim]
        for i, (_, row) in enumerate(sub.iterrows()):
            searched = isinstance(row.get("box_rule"), str) and row.get("box_rule") != ""
            where = row.holds_when
            if searched and row.box_status == "unstable":
                need = f"; stable needs ~{int(row.points_needed)} points" if row.points_needed else ""
                where = f"{where} (indicative: {row.box}{need})"
            def share(value):
                return f"{100 * value:.0f}%" if searched and pd.notna(value) else "–"
            rows.append([(_label(dim) if i == 0 else "", "", False), (row.strategy, "", False),
                         (f"{row.best_points} of {row.points}", "", False),
                         (where, "", searched and row.box_status == "stable"),
                         (share(row.get("box_density")), "", False), (share(row.get("box_coverage")), "", False),
                         ((row.get("box_quasi_p") or "–") if searched else "–", "", False),
                         (share(row.get("box_stability")), "", False),
                         ((row.get("cart_box") or "no leaf") if searched else "–", "", False),
                         (row.get("methods_agree", "") if searched else "–", "", False)])
    return header, rows


def boxes_intro(c) -> str:
    rule = c.settings.get("box_rule") or {}
    return (f"Where each strategy is best (alone or tied) across the {c.settings['samples']} points: PRIM peels off "
            f"the ranges where it is not (Friedman & Fisher 1999) and takes the highest-coverage box whose density "
            f"is >= {rule.get('density', 0.8):.0%} with coverage >= {rule.get('coverage', 0.3):.0%} (Bryant & Lempert "
            f"2010); limits with a quasi-p-value above {rule.get('significance', 0.05)} (one-sided binomial test; "
            f"Kwakkel & Jaxa-Rozen 2016) are dropped, and the search is repeated on {rule.get('resamples', 20)} "
            f"random halves of the points. A box is quoted only when >= {rule.get('stable_share', 0.7):.0%} of "
            f"them restrict the same parameters; otherwise it is \"no stable condition found\", with the box as "
            f"indicative and the points a stable answer needs. CART (a pruned decision tree) is shown beside it.")


def _html_table(header, rows) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for cells in rows:
        out.append("<tr>")
        for text, ci, best in cells:
            extra = f'<br><span class="ci">{html.escape(ci)}</span>' if ci else ""
            cls = ' class="best"' if best else ""
            out.append(f"<td{cls}>{html.escape(text)}{extra}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for cells in rows:
        parts = []
        for text, ci, best in cells:
            cell = f"**{text}**" if best else text
            parts.append(f"{cell} {ci}".strip().replace("|", "\\|"))
        lines.append("| " + " | ".join(parts) + " |")
    return "\n".join(lines)


# --- documents --------------------------------------------------------------------------------------

def _intro(c) -> tuple[str, list[str]]:
    s = c.settings
    title = "Strategy comparison: " + " vs ".join(x.label for x in c.strategies)
    lines = [
        f"{s['replications']} replications per strategy, {s['steps']} months, engine {s['engine']}, "
        f"seeds {s['seeds'][0]}–{s['seeds'][-1]} (replication r of every strategy uses the same seed: "
        f"common random numbers).",
        f"Rankings, wins and trade-offs use the {s['horizon']} horizon. Intervals are 95% t-intervals of the mean; "
        f"differences are paired by replication and tested with a two-sided paired t-test (significant when "
        f"p < {s['alpha']}), with an exact sign test beside it. No correction for multiple comparisons.",
    ]
    if s["replications"] < 6:
        lines.append(f"With {s['replications']} replications the sign test cannot reach p < 0.05 "
                     "(its smallest p is 2 / 2^n); read it as a check on direction only.")
    if s.get("set"):
        lines.append("Set for every strategy: " + ", ".join(s["set"]) + ".")
    return title, lines


def render_html(c, images: dict[str, bytes], manifest: dict) -> str:
    title, intro = _intro(c)
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             "".join(f'<p class="lead">{html.escape(line)}</p>' for line in intro)]
    parts.append("<h2>Strategies</h2><table class=\"left\"><thead><tr><th>strategy</th><th>paradigm</th><th>description</th>"
                 "<th>overrides</th></tr></thead><tbody>")
    for s in c.strategies:
        overrides = ", ".join(f"{k}={v}" for k, v in s.overrides.items() if k != "paradigm") or "–"
        parts.append(f"<tr><td>{html.escape(s.label)}</td><td>{html.escape(str(s.resolved['paradigm']))}</td>"
                     f"<td>{html.escape(s.scenario.description)}</td>"
                     f"<td><code>{html.escape(overrides)}</code></td></tr>")
    parts.append("</tbody></table>")

    def figure(name: str, caption: str) -> str:
        if name not in images:
            return ""
        data = base64.b64encode(images[name]).decode("ascii")
        narrow = ' class="narrow"' if name == "radar.png" else ""
        return (f'<figure{narrow}><img src="data:image/png;base64,{data}" alt="{html.escape(PLOTS[name])}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    parts.append("<h2>Trade-offs in plain words</h2><ul class=\"tradeoffs\">")
    for sentence in c.tradeoffs:
        ns = " do not differ significantly" in sentence
        cls = ' class="ns"' if ns else ""
        parts.append(f"<li{cls}>{html.escape(sentence)}</li>")
    parts.append("</ul>")

    parts.append("<h2>Ranking per dimension</h2>")
    parts.append('<p class="note">“Best alone” is the share of replications (paired by seed) in which the '
                 "strategy has the highest value on its own; “tied best” the share where it shares the top.</p>")
    parts.append(_html_table(*ranking_table(c)))
    parts.append(figure("radar.png", "Mean reading of each dimension per strategy."))

    parts.append("<h2>The five value dimensions at each horizon</h2>")
    parts.append('<p class="note">Mean over replications with its 95% confidence interval below; the highest mean '
                 "per horizon is highlighted. Impact is the long reading minus the first month.</p>")
    for dim in DIMENSIONS:
        parts.append(f"<h3>{html.escape(_label(dim))}</h3>")
        parts.append(_html_table(*horizon_table(c, dim)))
    parts.append("<h2>Trajectories</h2>")
    parts.append(figure("trajectories.png", "Mean trajectory (line) and the central 95% of replications (band)."))

    parts.append("<h2>Inequality, social capital and costs</h2>")
    parts.append(_html_table(*risk_table(c)))
    parts.append(figure("risks.png", "Mean and 95% confidence interval at the end of the run."))

    if c.robust is not None:
        s = c.settings
        parts.append("<h2>Robustness across uncertain parameters</h2>")
        ranges = ", ".join(f"{k} ∈ [{v[0]:g}, {v[1]:g}]" for k, v in s["uncertain"].items())
        parts.append(f"<p>{s['samples']} Latin-hypercube points over the union of the scenarios' uncertain ranges "
                     f"({html.escape(ranges)}); every strategy runs at the same points with the same seeds. Regret at "
                     f"a point is the best strategy's value there minus this strategy's (Lempert, Popper &amp; Bankes "
                     f"2003); the smallest worst-case regret per dimension is highlighted.</p>")
        parts.append("<p>A sampled parameter that a strategy fixes itself (its scenario or its paradigm's rule set "
                     "sets it) keeps that strategy's value unless the strategy's own [uncertain] table lists it: "
                     + html.escape("; ".join(f"{label} varies {', '.join(names) or 'nothing'}"
                                             for label, names in s["uncertain_applied"].items())) + ".</p>")
        parts.append(_html_table(*robust_table(c)))
        parts.append(figure("regret.png", "Worst-case regret per dimension (lower is more robust)."))
        if c.robust_boxes is not None:
            parts.append("<h3>Where each strategy is best</h3>")
            parts.append(f"<p>{html.escape(boxes_intro(c))}</p>")
            parts.append(_html_table(*boxes_table(c)))

    parts.append("<h2>Reproducing</h2>")
    parts.append(f'<p class="meta">Command: <code>{html.escape(manifest.get("command", ""))}</code><br>'
                 f"Created {html.escape(manifest.get('created_utc', ''))}, coprod "
                 f"{html.escape(str(manifest.get('versions', {}).get('coprod', '')))}, git commit "
                 f"{html.escape(str(manifest.get('git_commit')))}. The tables are in this directory as CSV and "
                 f"Parquet; manifest.json holds every resolved parameter.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(c, images: dict[str, bytes], manifest: dict) -> str:
    title, intro = _intro(c)
    out = [f"# {title}", "", *intro, "", "## Strategies", ""]
    for s in c.strategies:
        overrides = ", ".join(f"{k}={v}" for k, v in s.overrides.items() if k != "paradigm") or "none"
        out.append(f"- **{s.label}** ({s.resolved['paradigm']}): {s.scenario.description}. Overrides: `{overrides}`")
    out += ["", "## Trade-offs in plain words", ""]
    out += [f"- {sentence}" for sentence in c.tradeoffs]
    out += ["", "## Ranking per dimension", "",
            "\"Best alone\": share of replications (paired by seed) where the strategy is highest on its own.", "",
            _md_table(*ranking_table(c)), ""]
    if "radar.png" in images:
        out += ["![The five dimensions side by side](radar.png)", ""]
    out += ["## The five value dimensions at each horizon", "",
            "Mean over replications and its 95% confidence interval; the highest mean per horizon in bold.", ""]
    for dim in DIMENSIONS:
        out += [f"### {_label(dim)}", "", _md_table(*horizon_table(c, dim)), ""]
    out += ["## Trajectories", "", "![Trajectories](trajectories.png)", "",
            "## Inequality, social capital and costs", "", _md_table(*risk_table(c)), "",
            "![Inequality, social capital and costs](risks.png)", ""]
    if c.robust is not None:
        s = c.settings
        ranges = ", ".join(f"{k} in [{v[0]:g}, {v[1]:g}]" for k, v in s["uncertain"].items())
        out += ["## Robustness across uncertain parameters", "",
                f"{s['samples']} Latin-hypercube points ({ranges}); same points and seeds for every strategy. "
                "Regret = best strategy's value at a point minus this strategy's (Lempert et al. 2003). "
                "A parameter a strategy fixes itself (scenario or paradigm) keeps its value unless its own "
                "[uncertain] table lists it: " + "; ".join(f"{label} varies {', '.join(names) or 'nothing'}"
                                                         for label, names in s["uncertain_applied"].items()) + ".", "",
                _md_table(*robust_table(c)), "", "![Worst-case regret](regret.png)", ""]
        if c.robust_boxes is not None:
            out += ["### Where each strategy is best", "", boxes_intro(c), "", _md_table(*boxes_table(c)), ""]
    out += ["## Reproducing", "", f"`{manifest.get('command', '')}` — created {manifest.get('created_utc', '')}, "
            f"git commit {manifest.get('git_commit')}.", ""]
    return "\n".join(out)


def write_comparison(out: Path, c, manifest: dict) -> None:
    """Write the whole comparison directory atomically."""
    with atomic_directory(out) as tmp:
        tables = {"finals": c.finals, "summary": c.summary, "wins": c.wins, "pairwise": c.pairwise}
        if c.robust is not None:
            tables.update({"robust_runs": c.robust_runs, "regret": c.robust, "robust_points": c.robust_points})
            if c.robust_boxes is not None:
                tables["robust_boxes"] = c.robust_boxes
        write_tables(tmp, tables)
        write_parquet(tmp / "trajectories.parquet", c.trajectories)
        plot_trajectories(c, tmp / "trajectories.png")
        plot_radar(c, tmp / "radar.png")
        plot_risks(c, tmp / "risks.png")
        if c.robust is not None:
            plot_regret(c, tmp / "regret.png")
        images = {name: (tmp / name).read_bytes() for name in PLOTS if (tmp / name).exists()}
        (tmp / "tradeoffs.txt").write_text("\n".join(c.tradeoffs) + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(render_html(c, images, manifest), encoding="utf-8")
        (tmp / "report.md").write_text(render_markdown(c, images, manifest), encoding="utf-8")
        write_json(tmp / "manifest.json", manifest)
