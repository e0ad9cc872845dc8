"""Honesty checks of the claims battery: every claim can fail, swapping arms flips the verdict,
the report reproduces from its manifest, and bad claims files are one clear line."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from browser import render_offline

from coprod.analysis.effect_sizes import DEFAULT_SESOI
from coprod.analysis.statistics import CATEGORIES
from coprod.analysis.verdicts import BROADLY, FAILS, UNDECIDED, VERDICTS, failure_kind
from coprod.core.errors import InputError
from coprod.experiments import cli
from coprod.experiments.claims import (
    CLAIMS_FILE,
    Claim,
    arm_values,
    load_claims,
    point_categories,
    run_claims,
    verdict,
    wilson,
)
from coprod.experiments.evaluation import run_pair

CLAIMS = load_claims()
FAIL_SEEDS = (1, 2)


def test_all_twelve_claims_each_with_one_way_to_fail():
    assert len(CLAIMS) == 12
    assert len({c.name for c in CLAIMS}) == 12
    for claim in CLAIMS:
        assert bool(claim.fails_when) != bool(claim.cannot_fail), claim.name
        if claim.fails_when:
            assert claim.fails_why, claim.name
        assert claim.treatment != claim.control, claim.name


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.fails_when], ids=lambda c: c.name)
def test_claim_fails_where_documented(claim: Claim):
    """At the documented setting the claim does not hold as the battery reads it: the mean effect in
    the claimed direction stays below the outcome's smallest effect size of interest (negligible or
    reversed; a realistic failing setting need not reverse the effect, only leave it too small to
    matter)."""
    effects = []
    for seed in FAIL_SEEDS:
        treatment, control = arm_values(claim, claim.base_parameters(), claim.fails_when, 300)
        treated, controlled = run_pair(treatment, control, claim.outcome, seed, 60, "numba")
        effects.append((1 if claim.expect == "higher" else -1) * (treated - controlled))
    assert np.mean(effects) < DEFAULT_SESOI[claim.outcome].value, (claim.name, effects)


def test_swapping_arms_negates_effects_and_flips_the_verdict():
    claim = next(c for c in CLAIMS if c.name == "hybrid_strains_staff")
    sizes = dict(samples=6, replications=3, citizens=150, steps=24, seed=3, engine="numba", workers=1)
    runs = run_claims([claim], **sizes)
    swapped = run_claims([claim.swapped()], **sizes)
    runs, swapped = runs[runs["kind"] == "sample"], swapped[swapped["kind"] == "sample"]
    assert len(runs) == 18
    assert np.array_equal(runs["effect"].to_numpy(), -swapped["effect"].to_numpy())
    sesoi = DEFAULT_SESOI[claim.outcome]
    categories = point_categories(runs, sesoi)["category"]
    categories_swapped = point_categories(swapped, sesoi)["category"]
    mirror = {"holds": "reversed", "reversed": "holds", "negligible": "negligible", "unclear": "unclear"}
    assert list(categories_swapped) == [mirror[c] for c in categories]
    shares = {c: float((categories == c).mean()) for c in CATEGORIES}
    shares_swapped = {c: float((categories_swapped == c).mean()) for c in CATEGORIES}
    assert verdict(shares) == "holds broadly"  # hybrid cross-pressure strains staff at this size
    assert verdict(shares_swapped) == "fails" and failure_kind(shares_swapped) == "mostly reversed"


def test_verdict_thresholds_and_wilson_interval():
    assert verdict({"holds": BROADLY, "unclear": 1 - BROADLY}) == "holds broadly"
    assert verdict({"holds": 0.4, "unclear": UNDECIDED}) == "unclear"
    assert verdict({"holds": FAILS, "negligible": 0.7, "unclear": 0.1}) == "fails"
    assert failure_kind({"holds": FAILS, "negligible": 0.7, "unclear": 0.1}) == "mostly negligible"
    assert verdict({"holds": 0.5, "reversed": 0.3, "unclear": 0.2}) == "holds conditionally"
    low, high = wilson(8, 10)
    assert 0.45 < low < 0.8 < high < 0.97


def battery(tmp_path, name, workers=1, replications=1):
    out = tmp_path / name
    assert cli.main(["claims", "--claim", "openness_sustains", "--claim", "takeover_stifles", "--samples", "4",
                     "--replications", str(replications), "--citizens", "120", "--steps", "12", "--seed", "5",
                     "--workers", str(workers), "--engine", "agents", "--quiet", "--out", str(out)]) == 0
    return out


def test_two_workers_write_the_battery_of_one_to_the_byte(tmp_path):
    # On a pool each claim is analysed and drawn in a thread of the command while the workers run
    # the later claims' pairs, from rows that came back in any order; alone, after all the runs.
    one, two = battery(tmp_path, "one", 1, 2), battery(tmp_path, "two", 2, 2)
    names = sorted(path.name for path in one.iterdir())
    assert names == sorted(path.name for path in two.iterdir()) and "takeover_stifles.png" in names
    for name in set(names) - {"manifest.json", "SHA256SUMS"}:  # the manifest records the command
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_report_states_its_sizes_and_reproduces_from_its_manifest(tmp_path):
    first = battery(tmp_path, "first")
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["samples"] == 4 and manifest["replications"] == 1 and manifest["seed"] == 5
    assert {"coprod", "mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["claims"] == ["takeover_stifles", "openness_sustains"]  # file order
    # Re-run from what the manifest says; every table must be identical.
    again = tmp_path / "again"
    assert cli.main(["claims", *sum([["--claim", c] for c in manifest["claims"]], []),
                     "--samples", str(manifest["samples"]), "--replications", str(manifest["replications"]),
                     "--citizens", str(manifest["citizens"]), "--steps", str(manifest["steps"]),
                     "--seed", str(manifest["seed"]), "--engine", manifest["engine"], "--workers", "1", "--quiet",
                     "--out", str(again)]) == 0
    for table in ("runs", "points", "summary", "drivers"):
        pd.testing.assert_frame_equal(pd.read_parquet(first / f"{table}.parquet"),
                                      pd.read_parquet(again / f"{table}.parquet"))
    report = (first / "report.md").read_text()
    assert "4 Latin-hypercube points per claim, 1 replication per point" in report and "seed 5" in report
    # The documented failing setting ran in the battery and its result is in the report.
    runs = pd.read_parquet(first / "runs.parquet")
    assert set(runs.loc[runs["kind"] == "fails_when", "claim"]) == {"takeover_stifles", "openness_sustains"}
    assert report.count("Run in this battery (1 seed,") == 2
    html = (first / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "http://" not in html and "https://" not in html
    # Rendered, not transcribed: no Markdown emphasis or code marks are left in the page's text.
    text = re.sub(r"<[^>]+>", "", html.split("<body>", 1)[1])
    assert "*" not in text and "`" not in text and "<em>holds broadly</em>" in html
    summary = pd.read_parquet(first / "summary.parquet")
    assert set(summary["verdict"]) <= set(VERDICTS)
    # One replication per point: no point can be called against its SESOI, and the report says why.
    assert (summary["share_unclear"] == 1.0).all() and set(summary["verdict"]) == {"unclear"}
    assert "With one replication per point no point can be called" in report


@pytest.mark.parametrize("text, fragment", [
    ('[[claim]]\nname = "x"\n', "missing key"),
    ('[[claim]]\nname = "x"\ncolour = 1\n', "unknown key 'colour'"),
    ('title = "no claims"\n', "[[claim]]"),
])
def test_bad_claims_file_is_one_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        load_claims(path)
    assert cli.main(["claims", "--claims-file", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]
    assert not (tmp_path / "out").exists()


def test_bad_expectation_and_unknown_claim(tmp_path, capsys):
    text = CLAIMS_FILE.read_text().replace('expect = "lower"', 'expect = "sideways"', 1)
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(InputError, match="'expect'.*sideways"):
        load_claims(path)
    assert cli.main(["claims", "--claim", "no_such_claim", "--out", str(tmp_path / "o")]) == 2
    assert "no_such_claim" in capsys.readouterr().err


def test_sobol_method_gives_total_indices_of_the_effect(tmp_path):
    """A Saltelli sample: base points x (d + 2) runs, and ST of the effect names the lever that
    decides it (strain sensitivity scales the strain gap between hybrid and npg)."""
    claim = next(c for c in CLAIMS if c.name == "hybrid_strains_staff")
    out = tmp_path / "sobol"
    assert cli.main(["claims", "--claim", claim.name, "--method", "sobol", "--samples", "8", "--replications", "1",
                     "--citizens", "120", "--steps", "12", "--workers", "1", "--engine", "agents", "--quiet",
                     "--out", str(out)]) == 0
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 8 * (len(claim.uncertain) + 2)
    drivers = pd.read_parquet(out / "drivers.parquet")
    assert {"S1", "ST", "ST_conf"} <= set(drivers.columns)
    summary = pd.read_parquet(out / "summary.parquet").iloc[0]
    assert summary["decided_by"].startswith("strain_sensitivity (ST")
    assert "Saltelli base points" in (out / "report.md").read_text()


def test_sobol_needs_a_power_of_two(tmp_path, capsys):
    assert cli.main(["claims", "--claim", "hybrid_strains_staff", "--method", "sobol", "--samples", "6",
                     "--out", str(tmp_path / "o")]) == 2
    assert "power of 2" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_html_report_renders_offline_in_headless_chromium(tmp_path):
    out = battery(tmp_path, "render")
    widths, errors = render_offline(out / "report.html", tmp_path / "report.png")
    assert len(widths) == 2 and all(w > 0 for w in widths), widths  # one plot per claim, inlined
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
