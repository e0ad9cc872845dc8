"""The claims battery's report: Markdown written once (rendered by ``reports.render``), and the
figure of each claim's effects."""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any

import pandas as pd

from coprod.analysis.effect_sizes import from_manifest
from coprod.analysis.prim import KNOWN_BOX_STABLE_POINTS, MIN_BOX_POINTS, Discovery, box_rule, plot_trajectory
from coprod.analysis.verdicts import BROADLY, FAILS, UNDECIDED
from coprod.core.parameters import PARAMETERS
from coprod.reports.figures import pyplot
from coprod.reports.render import plural, table, warning
from coprod.reports.words import outcome_months, outcome_name

# A claim run under a calibrated posterior is the claim's twin with this suffix on its name.
POSTERIOR_SUFFIX = "@posterior"


def settings(values: dict[str, Any]) -> str:
    """``a = 1, b = collective``: parameter settings as a reader writes them."""
    def show(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)
    return ", ".join(f"{k} = {show(v)}" for k, v in values.items())


def effect_plot(claim, per_point: pd.DataFrame, decided_by: str, found: Discovery | None = None) -> bytes:
    """Left: the distribution of per-point effects. Middle: effect against the deciding parameter.
    Right: PRIM's peeling trajectory (coverage against density) with the chosen box."""
    plt = pyplot()

    panels = 1 + bool(decided_by) + (found is not None)
    fig, axes = plt.subplots(1, panels, figsize=(4.25 * panels if panels > 1 else 5, 2.8), squeeze=False)
    effects = per_point["effect_mean"].to_numpy()
    ax = axes[0, 0]
    ax.hist(effects, bins=min(20, max(5, len(effects) // 3)), color="#4c72b0", edgecolor="white")
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel(f"effect on {claim.outcome}\n(positive = as claimed)")
    ax.set_ylabel("sample points")
    if decided_by:
        ax = axes[0, 1]
        holds = per_point["beyond_sesoi"].to_numpy(dtype=bool)
        x = per_point[decided_by].to_numpy(dtype=float)
        ax.errorbar(x, effects, yerr=per_point["effect_se"].fillna(0).to_numpy(), fmt="none", ecolor="#bbbbbb", lw=0.8)
        ax.scatter(x[holds], effects[holds], s=14, color="#2a9d4b", label="beyond +SESOI")
        ax.scatter(x[~holds], effects[~holds], s=14, color="#c44e52", marker="x", label="not beyond")
        ax.axhline(0, color="black", lw=1)
        sesoi = per_point["sesoi"].to_numpy(dtype=float)
        if len(sesoi) and (sesoi == sesoi[0]).all():  # an absolute SESOI: the band of negligible effects
            ax.axhspan(-sesoi[0], sesoi[0], color="#dddddd", zorder=0, label="within ±SESOI")
        ax.set_xlabel(decided_by)
        ax.set_ylabel("effect (mean ± s.e.)")
        ax.legend(fontsize=7, frameon=False)
    if found is not None:
        plot_trajectory(axes[0, -1], found)
    fig.suptitle(claim.title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def markdown_report(claims: list, summary: pd.DataFrame, manifest: dict) -> str:
    """The battery's report: the bottom line, how it was run, then one section per claim."""
    latin = manifest.get("method", "latin") == "latin"
    sample = "Latin-hypercube point" if latin else "Saltelli base point"
    lines = ["# Claims battery", "", "## Bottom line", "", *_bottom_line(claims, summary, manifest, sample)]
    lines += ["", "## How this was run", "", *_how_it_was_run(summary, manifest, sample, latin)]
    lines.append("")
    if manifest.get("posterior"):  # --posterior
        lines += side_by_side(summary)
    for claim in claims:
        lines += _claim_section(claim, summary[summary["claim"] == claim.name].iloc[0], manifest)
    return "\n".join(lines) + "\n"


def _bottom_line(claims: list, summary: pd.DataFrame, manifest: dict, sample: str) -> list[str]:
    """Warnings about what the sizes cannot show, then one line per claim with its verdict."""
    lines = []
    short = sorted({claim.outcome for claim in claims if manifest["steps"] < outcome_months(claim.outcome)})
    if short:
        lines += [warning(f"The runs last {plural(manifest['steps'], 'month')}, shorter than the horizon of "
                          f"{', '.join(outcome_name(x) for x in short)} (about {max(outcome_months(x) for x in short)} "
                          "months): those readings still carry the start-up values. Run at least that long "
                          f"(`--steps {max(outcome_months(x) for x in short)}`) before reading their verdicts."), ""]
    null = [row.title for row in summary.itertuples()
            if row.effect_q05 == 0 and row.effect_q95 == 0]
    if null:
        lines += [warning(f"No effect at all (0 at every point) for: {'; '.join(null)}. At this size the two arms do "
                          "not differ, so \"fails\" there means \"nothing measured\", not \"the claim is false\"; "
                          "run more citizens, months or replications."), ""]
    if manifest["samples"] < 20:
        lines += [warning(f"{plural(manifest['samples'], sample)} per claim: the shares below carry wide intervals "
                          "and a verdict can flip with more points (`--samples`)."), ""]
    for row in summary.itertuples():
        lines.append(f"- **{row.title}**: {row.verdict}{_kind(row)}; {categories_text(row)}.")
    return lines


def _how_it_was_run(summary: pd.DataFrame, manifest: dict, sample: str, latin: bool) -> list[str]:
    """Sizes, seed, versions, how verdicts are called, the claims table and the SESOIs used."""
    drivers = ("standardized rank regression coefficients (SRRC: how strongly the effect rises or falls with a "
               "parameter's rank, all else held; from -1 to 1 in a good fit)" if latin
               else "total Sobol indices (ST: the share of the effect's variance a parameter accounts for, with "
                    "its interactions)")
    return [f"{plural(manifest['samples'], sample)} per claim{' (each costing d + 2 runs)' if not latin else ''}, "
            f"{plural(manifest['replications'], 'replication')} per point and arm, "
            f"{plural(manifest['citizens'], 'citizen')}, {plural(manifest['steps'], 'month')}, "
            f"seed {manifest['seed']}, "
            f"engine {manifest['engine']}; coprod {manifest['versions'].get('coprod')}, "
            f"mesa {manifest['versions'].get('mesa')}, numpy {manifest['versions'].get('numpy')}.",
            "", category_method_text(manifest) + f" Verdict: *holds broadly* when it holds at >= {BROADLY:.0%} of "
            f"points; *unclear* when at least {UNDECIDED:.0%} of points cannot be called (more replications "
            f"needed, not evidence either way); *fails* when it holds at <= {FAILS:.0%} (mostly reversed or mostly "
            "negligible, as said); otherwise *holds conditionally*. The share where it holds carries a Wilson 95% "
            "interval; drivers are " + drivers + " of the effect on the sampled parameters. "
            + box_method_text(manifest) + " Each claim is also run at its documented failing setting, to show "
            "that it can fail.", "",
            table(["claim", "outcome", "SESOI", "holds", "95% interval", "reversed", "negligible", "unclear",
                   "verdict", "holds when", "decided by"],
                  [[f"{row.title} ({row.source})", f"{outcome_name(row.outcome)}, {row.expect}", row.sesoi,
                    f"{row.share_holds:.0%}", f"{row.share_low:.0%}–{row.share_high:.0%}",
                    f"{row.share_reversed:.0%}", f"{row.share_negligible:.0%}", f"{row.share_unclear:.0%}",
                    row.verdict + _kind(row), row.holds_when, _decided_by(row)] for row in summary.itertuples()]),
            "", "Smallest effect sizes of interest used here (analysis/effect_sizes.py"
            + (f", overridden by {manifest['sesoi_file']}" if manifest.get("sesoi_file") else "") + "):", "",
            table(["outcome", "SESOI", "why"], [[f"`{name}`", _sesoi_value(entry), entry["reason"]]
                                                 for name, entry in sesoi_used(summary, manifest).items()])]


def _claim_section(claim, row, manifest: dict) -> list[str]:
    """One claim: its source and setting, the verdict and effect, where it holds, where it fails, its figure."""
    lines = [f"## {claim.title}", "", f"*Source:* {claim.source}. *Scenario:* `{claim.scenario}`. "
             f"*Operationalisation:* {claim.operationalisation}", "",
             f"Treatment ({settings(claim.treatment)}) vs control ({settings(claim.control)}); outcome "
             f"{outcome_name(claim.outcome)} (`{claim.outcome}`) expected "
             f"{claim.expect}, SESOI {row.sesoi}. {_first_upper(categories_text(row))}: **{row.verdict}**"
             f"{_kind(row)}. Effect (treatment minus control, signed so that positive is the claimed direction): "
             f"median {row.effect_median:+.4f}, 5–95% {row.effect_q05:+.4f} to "
             f"{row.effect_q95:+.4f}; the estimate exceeds +SESOI at {row.share_beyond_sesoi:.0%} of points.", "",
             box_paragraph(row, manifest), ""]
    if claim.cannot_fail:
        lines += [f"*Finding:* the model cannot make this claim fail: {claim.cannot_fail}", ""]
    else:
        found = {"reversed": "the effect is reversed there, as documented",
                 "negligible": "the effect is negligible there (within ±SESOI), as documented",
                 "holds": "**the claim still holds there at this size: the documented failure did not reproduce**",
                 }.get(row.fails_when_category,
                       "too few seeds to tell whether it fails there (unclear against the SESOI; more "
                       "`--replications`)" + ("" if row.fails_when_effect > 0 else
                                              ", though the mean effect is not the claimed way"))
        lines += [f"*Where it fails:* {settings(claim.fails_when)}: {claim.fails_why} Run in this battery "
                  f"({plural(row.fails_when_seeds, 'seed')}, other uncertain parameters at the scenario's values): "
                  f"mean effect {row.fails_when_effect:+.4f} (SESOI {row.fails_when_sesoi:.3g}); {found}.", ""]
    lines += [f"![Effects of {claim.title}]({claim.name}.png)", ""]
    return lines


def categories_text(row) -> str:
    """``holds at 40% of 48 points (95% interval 27-54%), reversed 10%, negligible 20%, unclear 30%``."""
    return (f"holds at {row.share_holds:.0%} of {plural(row.points, 'point')} (95% interval {row.share_low:.0%}–"
            f"{row.share_high:.0%}), reversed at {row.share_reversed:.0%}, negligible at {row.share_negligible:.0%}, "
            f"unclear at {row.share_unclear:.0%}")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _kind(row) -> str:
    return f" ({row.failure_kind})" if row.verdict == "fails" and row.failure_kind else ""


def category_method_text(manifest: dict) -> str:
    """How a point is called: the four categories against the SESOI, and what one replication means."""
    text = ("At each point the claim's effect over the replications is read against the outcome's smallest effect "
            "size of interest (SESOI, table below): it *holds* when the effect exceeds +SESOI with 95% confidence "
            "(one-sided t-test over the replications), is *reversed* when below -SESOI with 95% confidence, "
            "*negligible* when two one-sided tests (TOST; Schuirmann 1987, Lakens et al. 2018) place it within "
            "±SESOI, and *unclear* otherwise.")
    if manifest["replications"] < 2:
        text += (" With one replication per point no point can be called (there is no spread to test against): "
                 "every point is unclear; run `--replications 2` or more.")
    elif manifest["replications"] < 5:
        text += (f" With {manifest['replications']} replications the t-tests are wide (few degrees of freedom): "
                 "many points stay unclear; more replications call more of them.")
    return text


def sesoi_used(summary: pd.DataFrame, manifest: dict) -> dict[str, dict]:
    """The SESOI entries of the battery's outcomes, as the manifest recorded them (defaults otherwise)."""
    table = from_manifest(manifest.get("sesoi"))
    return {name: asdict(table[name]) for name in sorted(set(summary["outcome"]))}


def _sesoi_value(entry: dict) -> str:
    return f"{entry['value']:.3g} of the arms' mean" if entry["relative"] else f"{entry['value']:.3g}"


def _decided_by(row) -> str:
    """The driver as readers name it: the parameter's label, then its identifier and index."""
    name = row.decided_by_parameter
    if isinstance(name, str) and name in PARAMETERS and row.decided_by.startswith(name):
        return f"{PARAMETERS[name].display()} (`{name}`{row.decided_by[len(name):].replace(' (', ', ', 1)}"
    return row.decided_by


def box_method_text(manifest: dict) -> str:
    """PRIM and its checks in a few sentences, with the rule this battery used."""
    rule = box_rule(manifest)
    steps = manifest.get("scenario_discovery", {}).get("steps", {})
    chosen = f" ({', '.join(f'{k}: trajectory step {v}' for k, v in steps.items())} chosen by hand)" if steps else ""
    return (f"Where a claim holds is found by PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999), "
            f"which finds a box of parameter ranges by peeling off, step by step, the ranges where it fails; the "
            f"box is {rule.describe()} on the peeling trajectory (Bryant & Lempert "
            f"2010){chosen}. Limits whose quasi-p-value (one-sided binomial test of the density with and without "
            f"the limit; Kwakkel & Jaxa-Rozen 2016) exceeds {rule.significance} are dropped. The search is repeated "
            f"on {rule.resamples} seeded random halves of the points; a box is quoted only when at least "
            f"{rule.stable_share:.0%} of them restrict the same parameters, otherwise the report says \"no stable "
            f"condition found\" and gives the box as indicative, with at least how many points a stable answer "
            f"would need (or that this cannot be estimated from a box of fewer than {MIN_BOX_POINTS} points). "
            f"A CART tree (Breiman et al. 1984) on the same points is shown beside PRIM. For scale: on a synthetic "
            f"claim with a known two-parameter condition and 10% noise, PRIM needs about {KNOWN_BOX_STABLE_POINTS} "
            f"points for a stable box (tests/test_prim.py).")


def box_paragraph(row, manifest: dict) -> str:
    """Where the claim holds, how sure that is, and what CART says."""
    if row.box_status == "none" and row.holds_when in ("everywhere sampled", "nowhere sampled"):
        return f"*Where it holds:* {row.holds_when}."
    if row.box_status == "none":
        text = (f"*Where it holds:* no condition found: no box on the PRIM trajectory meets the rule "
                f"({row.box_rule}) with a significant limit.")
        if row.points < KNOWN_BOX_STABLE_POINTS:
            text += (f" {row.points} points may be too few to see one: a known condition needed about "
                     f"{KNOWN_BOX_STABLE_POINTS} (see above).")
    else:
        quality = (f"in this box the claim holds at {row.box_density:.0%} of points, and the box holds "
                   f"{row.box_coverage:.0%} of all points where it holds")
        checks = (f"Quasi-p-values: {row.box_quasi_p or 'none (no limits)'}. The same limits reappear in "
                  f"{row.box_stability:.0%} of resampled halves (per parameter: {row.box_reappearance or '-'}).")
        if row.box_status == "stable":
            text = f"*Where it holds (PRIM):* {row.box}; {quality}. {checks}"
        else:
            need = points_needed_text(row)
            text = (f"*Where it holds:* **no stable condition found**. Indicative only: {row.box}; {quality}. "
                    f"{checks} {need}")
    if getattr(row, "box_passed_over", ""):
        text += (f" (Trajectory steps {row.box_passed_over} met the rule before their insignificant limits were "
                 "dropped, but not after; the box is the next step that still does.)")
    if row.cart_box:
        cart = (f"CART's best leaf: {row.cart_box} (density {row.cart_density:.0%}, coverage "
                f"{row.cart_coverage:.0%})")
    else:
        cart = "CART finds no leaf that meets the rule"
    verdict_text = ("the two methods agree" if row.methods_agree.startswith("agree")
                    else f"**PRIM and CART disagree** ({row.methods_agree.removeprefix('disagree: ')})")
    return f"{text} {cart}; {verdict_text}."


def points_needed_text(row) -> str:
    """How many points a stable answer needs: a floor, or why it cannot be said."""
    status = getattr(row, "points_needed_status", "at least" if row.points_needed else "beyond")
    if status == "not estimable":
        return (f"How many points a stable answer needs cannot be estimated from this sample: the box holds fewer "
                f"than {MIN_BOX_POINTS} points, too few to tell its density from the rule's, and a box picked for its "
                f"density from so few points looks far cleaner than it is (a known condition needed about "
                f"{KNOWN_BOX_STABLE_POINTS}; see above).")
    if status == "at least":
        return (f"If the pattern is real, a stable answer needs at least {row.points_needed} points (`--samples "
                f"{row.points_needed}` or more): a floor, simulated from the box as this sample shows it, which "
                "looks cleaner than the truth.")
    return "Simulating this box at up to 10,000 points never made it stable."


def side_by_side(summary: pd.DataFrame) -> list[str]:
    """Markdown lines: each claim's verdict over the prior ranges and under the posterior."""
    rows = summary.set_index("claim")
    lines = ["## Verdicts over the prior ranges and under the calibrated posterior", "",
             "Over the prior ranges: the claim's Latin hypercube. Under the calibrated posterior: the same claim with "
             "the calibrated parameters drawn from the posterior (weighted) and its other uncertain parameters over "
             "their ranges. The posterior was fitted in the calibrated scenario and is applied in each claim's own "
             "scenario.", "",
             "| claim | over the prior ranges | under the calibrated posterior | changed |", "|---|---|---|---|"]
    for name in [n for n in rows.index if not n.endswith(POSTERIOR_SUFFIX)]:
        twin = name + POSTERIOR_SUFFIX
        if twin not in rows.index:
            continue
        prior, post = rows.loc[name], rows.loc[twin]
        changed = "**yes**" if prior["verdict"] != post["verdict"] else "no"
        lines.append(f"| {prior['title']} | {prior['verdict']} ({prior['share_holds']:.0%} holds) | {post['verdict']} "
                     f"({post['share_holds']:.0%} holds) | {changed} |")
    return lines + [""]
