"""The folder ``coprod calibrate`` writes: tables, posterior plots, a calibrated scenario and a report."""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from coprod.core.parameters import PARAMETERS
from coprod.core.storage import atomic_directory, write_bytes, write_json, write_tables
from coprod.reports.figures import pyplot
from coprod.reports.render import to_html, warning


def _png(fig) -> bytes:
    plt = pyplot()

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def marginal_plot(posterior: pd.DataFrame, parameters: pd.DataFrame) -> bytes:
    """One panel per parameter: the weighted histogram of the last generation over the prior
    range, with the posterior median, 90% interval and the scenario's value."""
    plt = pyplot()

    last = posterior[posterior["generation"] == posterior["generation"].max()]
    rows = list(parameters.itertuples())
    columns = min(3, len(rows))
    lines = math.ceil(len(rows) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(3.6 * columns, 2.6 * lines), squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.set_visible(False)
    for ax, row in zip(axes.flat, rows):
        ax.hist(last[row.parameter], bins=15, range=(row.prior_low, row.prior_high), weights=last["weight"],
                color="#4c72b0", edgecolor="white")
        ax.axvspan(row.low_90, row.high_90, color="#4c72b0", alpha=0.12, label="90% interval")
        ax.axvline(row.median, color="black", lw=1.2, label="median")
        if row.prior_low <= row.scenario_value <= row.prior_high:
            ax.axvline(row.scenario_value, color="#c44e52", lw=1, ls="--", label="scenario value")
        ax.set_xlim(row.prior_low, row.prior_high)
        ax.set_xlabel(row.parameter)
        ax.set_yticks([])
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior marginals (x axis = the prior range)", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def pair_plot(posterior: pd.DataFrame, names: list[str], priors: dict) -> bytes:
    """Every pair of parameters: the last generation's particles, marker area by weight."""
    plt = pyplot()

    last = posterior[posterior["generation"] == posterior["generation"].max()]
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(1.9 * k + 0.6, 1.9 * k + 0.4), squeeze=False)
    size = 200 * last["weight"].to_numpy() / last["weight"].max() + 2
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i, j]
            if i == j:
                ax.hist(last[x], bins=12, range=priors[x], weights=last["weight"], color="#4c72b0")
                ax.set_yticks([])
            elif i > j:
                ax.scatter(last[x], last[y], s=size, alpha=0.5, color="#4c72b0", edgecolor="none")
                ax.set_ylim(*priors[y])
            else:
                ax.set_visible(False)
                continue
            ax.set_xlim(*priors[x])
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(x, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(y, fontsize=7)
    fig.suptitle("Pairwise posterior (marker area = weight; axes = prior ranges)", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return json.dumps(str(value))  # a TOML basic string


def calibrated_toml(manifest: dict, scenario_parameters: dict, parameters: pd.DataFrame) -> str:
    """A scenario file: the calibrated scenario's settings with each calibrated parameter at its
    posterior median, and ``[uncertain]`` = the posterior 90% intervals (a parameter whose interval
    collapses to one value, e.g. an integer, is fixed at it and left out of ``[uncertain]``)."""
    values = {k: v for k, v in scenario_parameters.items() if k != "paradigm"}
    uncertain = {}
    for row in parameters.itertuples():
        integer = PARAMETERS[row.parameter].kind == "int"
        values[row.parameter] = int(round(row.median)) if integer else float(row.median)
        low, high = ((int(round(row.low_90)), int(round(row.high_90))) if integer
                     else (float(row.low_90), float(row.high_90)))
        if low < high:
            uncertain[row.parameter] = (low, high)
    lines = [f"# Calibrated by `{manifest['command']}` ({manifest['created_utc']}) "
             f"against {manifest['patterns_file']}.",
             "# [parameters]: the scenario's settings, calibrated parameters at their posterior medians.",
             "# [uncertain]: the posterior 90% intervals (coprod claims/sweep sample these ranges).",
             "description = "
             f"{_toml_value('Calibrated ' + manifest['scenario'] + ': posterior medians, 90% intervals')}",
             f"paradigm = {_toml_value(manifest['paradigm'])}", "", "[parameters]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in values.items()]
    lines += ["", "[uncertain]"]
    lines += [f"{name} = [{_toml_value(low)}, {_toml_value(high)}]" for name, (low, high) in uncertain.items()]
    return "\n".join(lines) + "\n"


def _n(x: float) -> str:
    return "undefined" if not np.isfinite(x) else f"{x:.4g}"


def _tolerance(x: float) -> str:
    """Generation 0's tolerance is infinite (every prior draw is accepted): say so, not "undefined"."""
    return "∞ (prior)" if x == math.inf else _n(x)


def small_sample(ess: float, population: int) -> bool:
    """An ESS below 10 particles or below half the population is too small to trust the posterior's
    intervals: the weights rest on a few particles."""
    return ess < max(10.0, population / 2)


def sample_quality(manifest: dict, parameters: pd.DataFrame, plain: bool = False) -> str:
    """The final population's effective sample size, with a warning when it is small, and the
    parameters the patterns do not identify, said plainly (Markdown, or ``plain`` for a terminal)."""
    ess, population = manifest["effective_sample_size"], manifest["population"]
    parts = [f"Effective sample size of the final population: {ess:.1f} of {population} particles."]
    if small_sample(ess, population):
        advice = (f"the posterior rests on about {ess:.0f} particles' worth of weight (below 10 or half the "
                  "population): its intervals and medians are rough; run a larger --population or more generations "
                  "before relying on them.")
        parts.append("warning: " + advice if plain else warning(advice))
    missing = parameters.loc[~parameters["identified"], "parameter"].tolist()
    if missing:
        names = ", ".join(missing if plain else [f"`{name}`" for name in missing])
        parts.append(f"Not identified by these patterns (90% interval >= 80% of the prior): {names}.")
    return ("\n" if plain else "\n\n").join(parts)


def _share(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"


def _bottom(rows: pd.DataFrame, column: str) -> str:
    """``k of m applicable patterns pass (j not applicable)``."""
    applicable = rows[rows[column] != "not applicable"]
    text = f"{int((applicable[column] == 'pass').sum())} of {len(applicable)} applicable patterns pass"
    return text + (f" ({len(rows) - len(applicable)} not applicable)" if len(rows) > len(applicable) else "")


def _card_table(rows: pd.DataFrame) -> list[str]:
    lines = ["| pattern | target | at scenario values | posterior median | 90% interval | draws passing | "
             "under posterior |", "|---|---|---|---|---|---|---|"]
    for row in rows.itertuples():
        result = "**fail**" if row.posterior_result == "fail" else row.posterior_result
        lines.append(f"| {row.title} (`{row.pattern}`) | {row.target} | {_n(row.scenario_value)} "
                     f"({row.scenario_result}) | {_n(row.posterior_median)} | "
                     f"[{_n(row.posterior_low_90)}, {_n(row.posterior_high_90)}] | "
                     f"{_share(row.posterior_pass_share)} | {result} |")
    return lines


def _held_out(manifest: dict) -> str:
    held = manifest.get("holdout") or []
    return f" ({len(held)} more held out: {', '.join(held)})" if held else ""


def _joint(manifest: dict) -> str:
    scenarios = manifest.get("scenarios") or []
    if len(scenarios) < 2:
        return ""
    return (f", jointly in {len(scenarios)} scenarios ({', '.join(scenarios)}): every particle runs each with the "
            "same parameters, and its distance counts every scenario's patterns (the scenario value column below is "
            f"{scenarios[0]}'s)")


def console_summary(card: pd.DataFrame, stopped: str) -> str:
    """What ``coprod calibrate`` prints about the patterns: in sample, and out of sample apart."""
    fitted, held = card[card["role"] == "fitted"], card[card["role"] == "held out"]
    text = (f"fitted: {_bottom(fitted, 'posterior_result')} under the posterior "
            f"({_bottom(fitted, 'scenario_result')} at the scenario's values); {stopped}")
    if len(held):
        text += f"\nheld out (out of sample): {_bottom(held, 'posterior_result')} under the posterior"
    return text


def markdown(manifest: dict, parameters: pd.DataFrame, generations: pd.DataFrame, card: pd.DataFrame) -> str:
    lines = [f"# Calibration: {manifest['scenario']}", "",
             f"ABC-SMC (pyabc {manifest['versions'].get('pyabc')}) of {len(parameters)} parameters against "
             f"{len(manifest['patterns'])} patterns of `{manifest['patterns_file']}`"
             f"{_held_out(manifest)}{_joint(manifest)}: {manifest['population']} particles per "
             f"generation, {manifest['replications']} replications per particle ({manifest['runs_per_particle']} "
             f"model runs), {manifest['citizens']} citizens, {manifest['steps']} months, seed {manifest['seed']}. "
             f"Stopped: {manifest['stopped']}. {manifest['particles_evaluated']} particles simulated "
             f"({manifest['model_runs']} model runs with the predictive checks), "
             f"{manifest['seconds_this_session']} s in the last session on {manifest['executor']}.", "",
             "Priors are independent uniform distributions over the ranges below. A particle's distance is how far "
             "its scorecard is from passing each pattern, in units of that pattern's tolerance (docs/calibration.md); "
             "the posterior is the last generation, weighted.", "",
             "## Parameters", "",
             "| parameter | prior | scenario value | posterior median | 90% interval | interval / prior width | "
             "identified? |", "|---|---|---|---|---|---|---|"]
    for row in parameters.itertuples():
        lines.append(f"| `{row.parameter}` | [{row.prior_low:g}, {row.prior_high:g}] | {_n(row.scenario_value)} | "
                     f"{_n(row.median)} | [{_n(row.low_90)}, {_n(row.high_90)}] | {row.interval_share_of_prior:.0%} | "
                     f"{'yes' if row.identified else '**not identified by these patterns**'} |")
    lines += ["", "A parameter whose posterior 90% interval still spans 80% of its prior range or more is *not "
                  "identified by these patterns*: the fit leaves it about where the prior put it, so its posterior "
                  "says little, and a claim that depends on it is not settled by the calibration.", "",
              sample_quality(manifest, parameters), "",
              "![marginals](marginals.png)", "", "![pairs](pairs.png)", "", "## Generations", "",
              "Generation 0 is the prior: every draw is accepted, at an infinite tolerance. The effective sample size "
              "(ESS, Kish: (sum of weights)^2 / sum of squared weights) is the number of equally weighted particles "
              "the weighted population is worth.", "",
              "| generation | tolerance | accepted | proposed | acceptance | ESS |", "|---|---|---|---|---|---|"]
    for row in generations.itertuples():
        lines.append(f"| {row.generation} | {_tolerance(row.tolerance)} | {row.accepted} | {row.proposed} | "
                     f"{row.acceptance_rate:.1%} | {row.effective_sample_size:.1f} |")
    lines += _scorecard_sections(manifest, card)
    lines += [
              "## Files", "",
              "`posterior.parquet` (every generation's particles: generation, particle, weight, distance, "
              "parameters), `generations.parquet`, `parameters.parquet`, `scorecard.parquet`, "
              "`predictive.parquet` (per draw and replication), `scenario_scorecard.parquet`, "
              "`calibrated.toml` (a scenario: medians, 90% intervals as [uncertain]; with several scenarios one "
              "`calibrated-<scenario>.toml` each), `abc.db` (pyabc's history), `manifest.json`. Use the posterior "
              "with `coprod claims --posterior <this folder>` and `coprod patterns --posterior <this folder>`.", ""]
    return "\n".join(lines)


def _scorecard_sections(manifest: dict, card: pd.DataFrame) -> list[str]:
    """The pattern scorecard under the posterior predictive, per scenario, and the held-out patterns' check."""
    lines = ["", "## Pattern scorecard under the posterior predictive", "",
             f"{manifest['predictive']} parameter draws from the posterior, each scored with "
             f"{manifest['replications']} replications; the median and 90% interval are over the draws' means. "
             "A pattern passes under the posterior when at least half of the draws (where it applies) pass it by "
             "the scorecard's rule; the scenario column is the scorecard at the scenario's own values, same "
             "sizes.", ""]
    fitted, held = card[card["role"] == "fitted"], card[card["role"] == "held out"]
    for scenario, rows in fitted.groupby("scenario", sort=False, dropna=False):
        if fitted["scenario"].nunique() > 1:
            lines += [f"### {scenario}", ""]
        lines += _card_table(rows)
        passed_now = rows[rows["posterior_passed"] & ~rows["scenario_passed"]]["pattern"].tolist()
        lost = rows[~rows["posterior_passed"] & rows["scenario_passed"]]["pattern"].tolist()
        lines += ["", f"{_bottom(rows, 'posterior_result')} under the posterior, {_bottom(rows, 'scenario_result')} "
                      f"at the scenario's values. Pass under the posterior but failed at the scenario's values: "
                      f"{', '.join(passed_now) or 'none'}. Passed at the scenario's values but fail under the "
                      f"posterior: {', '.join(lost) or 'none'}.", ""]
    if len(held):
        lines += ["## Out-of-sample check: held-out patterns", "",
                  f"Held out of the fit (`--holdout`): {', '.join(f'`{n}`' for n in held['pattern'].unique())}. The "
                  "calibration never saw them; a held-out pattern that passes under the posterior is evidence that "
                  "the fit generalises beyond the patterns it was tuned to, one that fails is evidence against.", ""]
        for scenario, rows in held.groupby("scenario", sort=False, dropna=False):
            if held["scenario"].nunique() > 1:
                lines += [f"### {scenario}", ""]
            lines += _card_table(rows)
            lines += ["", f"Out of sample: {_bottom(rows, 'posterior_result')} under the posterior "
                          f"(in sample: {_bottom(fitted[fitted['scenario'] == scenario], 'posterior_result')}).", ""]
    return lines


def write_calibration(out: Path, db_path: Path, manifest: dict, inputs: dict, posterior: pd.DataFrame,
                      generations: pd.DataFrame, parameters: pd.DataFrame, card: pd.DataFrame,
                      predictive: pd.DataFrame, at_scenario: pd.DataFrame) -> None:
    names = list(inputs["priors"])
    images = {"marginals": marginal_plot(posterior, parameters),
              "pairs": pair_plot(posterior, names, inputs["priors"])}
    text = markdown(manifest, parameters, generations, card)
    scenarios = inputs.get("scenarios", [inputs["scenario"]])
    tomls = {("calibrated.toml" if len(scenarios) == 1 else f"calibrated-{scenario.name}.toml"):
             calibrated_toml({**manifest, "scenario": scenario.name, "paradigm": scenario.paradigm},
                             scenario.parameters, parameters) for scenario in scenarios}
    with atomic_directory(out) as tmp:
        write_tables(tmp, {"posterior": posterior, "generations": generations, "parameters": parameters,
                           "scorecard": card, "predictive": predictive, "scenario_scorecard": at_scenario})
        for name, png in images.items():
            write_bytes(tmp / f"{name}.png", png)
        for name, toml in tomls.items():
            write_bytes(tmp / name, toml.encode())
        write_bytes(tmp / "report.md", text.encode())
        write_bytes(tmp / "report.html", to_html(text, {f"{name}.png": png for name, png in images.items()}).encode())
        shutil.copyfile(db_path, tmp / "abc.db")
        write_json(tmp / "manifest.json", manifest)
