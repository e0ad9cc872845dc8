"""Probe how the citizens' state should be laid out in memory for the month kernel (issue 25).

Four layouts of the same per-citizen state (the fields ``agents/state.py`` declares: 17 floats
kept as float32 and 9 one-byte codes and flags) are stepped by the same synthetic month: each
citizen gathers its ~8 neighbours' last-month byte (CSR ties, as ``live_month`` does), reads 12
floats and 3 codes, does some arithmetic with one exponential and two counter-based draws, and
writes 10 floats and 6 codes:

- ``separate``: one array per quantity (the engine before issue 25: ~27 arrays, ~27 memory
  streams and as many TLB pages live at once);
- ``record``: one structured NumPy array (array of records; one citizen's fields side by side,
  one stream);
- ``split``: two structured arrays, the traits the month reads and never writes (need,
  resources, propensity, baselines) and the state it changes: written-back cache lines hold only
  what changed;
- ``grouped``: a few packed 2-D arrays grouped by how the month uses them (read-only floats,
  read-write floats, written floats, codes), a row per citizen.

Load on a shared machine moves whole runs: the variants alternate in one process, round after
round (on one thread below 5,000 citizens, as the engine runs them), and the table reports each
one's median ns per citizen-month and its ratio to ``separate``.

    python benchmarks/layout_probe.py                     # 2,000 and 10^6 citizens, 2 threads
    python benchmarks/layout_probe.py --sizes 2000,1000000,10000000 --rounds 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np
from numba import njit, prange

from coprod.core.streams import counter_uniform
from coprod.core.threads import threads_for

READ_ONLY = ("need", "resources", "propensity", "efficacy0", "motivation0", "civic_pull", "need_hours")
READ_WRITE = ("trust", "efficacy", "motivation", "wellbeing", "tenure")
WRITTEN = ("hours", "volunteer_hours", "association_hours", "met", "met_coproduced")
CODES = ("informed", "activity", "phase", "heard", "ignored", "invited", "quintile", "mode", "is_volunteer")
FLOATS = READ_ONLY + READ_WRITE + WRITTEN


def _body(read, write) -> str:
    """The synthetic month for one citizen ``u``, with ``read(name)`` / ``write(name, value)``
    giving each layout's access expression: the same arithmetic in every layout."""
    loads = "\n".join(f"        v_{name} = np.float64({read(name)})" for name in FLOATS[:12])
    return f"""
        lo, hi = indptr[u], indptr[u + np.uint64(1)]
        active = 0
        for k in range(np.uint64(lo), np.uint64(hi)):
            active += seen_last[np.uint64(indices[k])] & np.uint8(3) != 0
        share = active / max(hi - lo, 1)
{loads}
        v_informed = {read('informed')}
        v_activity = np.int64({read('activity')})
        x = (-3.0 + v_need + v_trust + v_efficacy + v_resources + v_motivation + share + v_propensity
             + (1.0 if v_informed else 0.0) + 0.1 * v_activity)
        p = 1.0 / (1.0 + math.exp(-x))
        u1 = counter_uniform(s, t, u, np.uint64(0))
        u2 = counter_uniform(s, t, u, np.uint64(1))
        joins = u1 < p
        new_trust = v_trust + 0.01 * (p - v_trust)
        new_efficacy = v_efficacy + 0.02 * (v_efficacy0 - v_efficacy)
        new_motivation = v_motivation + 0.02 * (v_motivation0 - v_motivation)
        v_met = min(1.0, v_need_hours * 0.01 + 0.5 * p)
        {write('trust', 'new_trust')}
        {write('efficacy', 'new_efficacy')}
        {write('motivation', 'new_motivation')}
        {write('wellbeing', 'v_wellbeing + 0.05 * (v_met - v_wellbeing)')}
        {write('tenure', 'v_tenure + 1.0 if v_activity > 0 else 0.0')}
        {write('hours', '2.0 * v_resources if joins else 0.0')}
        {write('volunteer_hours', 'v_civic_pull * 0.1 if u2 < 0.1 else 0.0')}
        {write('association_hours', '3.0 * v_motivation if v_activity > 0 else 0.0')}
        {write('met', 'v_met')}
        {write('met_coproduced', '0.1 * v_met if joins else 0.0')}
        {write('phase', '2 if joins else -1')}
        {write('heard', 'joins and u2 < 0.5')}
        {write('ignored', 'joins and u2 >= 0.5')}
        {write('invited', 'u2 < 0.2')}
        {write('activity', '1 if u2 < 0.05 else v_activity')}
        seen_now[u] = np.uint8(1 if joins else 0)
"""


def _kernel(name: str, arguments: str, body: str):
    source = f"""
def {name}(seed, step, indptr, indices, seen_last, seen_now, {arguments}):
    s = np.uint64(seed)
    t = np.uint64(step)
    for i in prange(indptr.shape[0] - 1):
        u = np.uint64(i)
{body}
"""
    scope = {"np": np, "math": __import__("math"), "prange": prange, "counter_uniform": counter_uniform}
    # The source is this module's own template (no input file): one body, three layouts' access.
    exec(compile(source, f"<layout_probe {name}>", "exec"), scope)
    return njit(parallel=True, error_model="numpy")(scope[name])


SEPARATE = _kernel("separate", ", ".join(FLOATS + CODES),
                   _body(lambda f: f"{f}[u]", lambda f, v: f"{f}[u] = {v}"))
RECORD = _kernel("record", "citizens", _body(lambda f: f"citizens[u].{f}", lambda f, v: f"citizens[u].{f} = {v}"))
TRAITS = READ_ONLY + ("quintile",)  # what the month reads and never writes


def _split_access(field: str) -> str:
    return f"traits[u].{field}" if field in TRAITS else f"state[u].{field}"


SPLIT = _kernel("split", "traits, state", _body(_split_access, lambda f, v: f"{_split_access(f)} = {v}"))
GROUPS = {"ro": READ_ONLY, "rw": READ_WRITE, "w": WRITTEN, "codes": CODES}


def _grouped_access(field: str) -> str:
    for group, names in GROUPS.items():
        if field in names:
            return f"{group}[u, {names.index(field)}]"
    raise KeyError(field)


GROUPED = _kernel("grouped", "ro, rw, w, codes",
                  _body(_grouped_access, lambda f, v: f"{_grouped_access(f)} = {v}"))

CODE_DTYPES = {"informed": np.bool_, "heard": np.bool_, "ignored": np.bool_, "invited": np.bool_,
               "is_volunteer": np.bool_}


def citizens(n: int, rng: np.random.Generator) -> dict:
    """The state of ``n`` citizens in each layout, and a network of mean degree 8 (ties mostly
    within groups of 1,000 neighbours in memory, as the model's are)."""
    degree = 8
    indptr = np.arange(0, degree * n + 1, degree, dtype=np.int64)
    local = (np.arange(n).repeat(degree) + rng.integers(-500, 500, degree * n)) % n
    far = rng.integers(0, n, degree * n)
    indices = np.where(rng.random(degree * n) < 0.7, local, far).astype(np.int32)
    separate = {f: rng.random(n).astype(np.float32) for f in FLOATS}
    separate.update({f: np.zeros(n, dtype=CODE_DTYPES.get(f, np.int8)) for f in CODES})
    dtype = np.dtype([(f, np.float32) for f in FLOATS] + [(f, CODE_DTYPES.get(f, np.int8)) for f in CODES],
                     align=True)
    record = np.zeros(n, dtype=dtype)
    for f in FLOATS:
        record[f] = separate[f]
    traits = np.zeros(n, dtype=np.dtype([(name, dtype.fields[name][0]) for name in TRAITS], align=True))
    changing = [name for name in dtype.names if name not in TRAITS]
    state = np.zeros(n, dtype=np.dtype([(name, dtype.fields[name][0]) for name in changing], align=True))
    for f in FLOATS:
        (traits if f in TRAITS else state)[f] = separate[f]
    grouped = {g: np.ascontiguousarray(np.stack([separate[f] for f in names], axis=1))
               for g, names in GROUPS.items() if g != "codes"}
    grouped["codes"] = np.zeros((n, len(CODES)), dtype=np.int8)
    return {"indptr": indptr, "indices": indices, "seen_last": np.zeros(n, np.uint8), "seen_now": np.zeros(n, np.uint8),
            "separate": separate, "record": record, "traits": traits, "state": state, "grouped": grouped,
            "record_bytes": dtype.itemsize}


def runners(state: dict) -> dict:
    common = (state["indptr"], state["indices"], state["seen_last"], state["seen_now"])
    sep = state["separate"]
    grouped = state["grouped"]
    return {
        "separate": lambda step: SEPARATE(1, step, *common, *(sep[f] for f in FLOATS + CODES)),
        "record": lambda step: RECORD(1, step, *common, state["record"]),
        "split": lambda step: SPLIT(1, step, *common, state["traits"], state["state"]),
        "grouped": lambda step: GROUPED(1, step, *common, grouped["ro"], grouped["rw"], grouped["w"],
                                        grouped["codes"]),
    }


def probe(n: int, rounds: int) -> dict[str, float]:
    """Median ns per citizen-month of each layout, alternating layouts round by round."""
    state = citizens(n, np.random.default_rng(0))
    run = runners(state)
    repeats = max(1, 2_000_000 // n)  # about 2 M citizen-months per timing
    for go in run.values():
        go(0)  # compile
    times: dict[str, list[float]] = {name: [] for name in run}
    for r in range(rounds):
        order = list(run) if r % 2 == 0 else list(run)[::-1]
        for name in order:
            with threads_for(n):  # as the engine runs it: one thread below 5,000 citizens
                start = time.perf_counter()
                for step in range(repeats):
                    run[name](step)
                times[name].append((time.perf_counter() - start) / repeats / n * 1e9)
    return {name: statistics.median(values) for name, values in times.items()}, state["record_bytes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,1000000", help="comma-separated citizen counts")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"layout probe: {numba.get_num_threads()} numba threads, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'citizens':>12}{'layout':>10}{'ns/citizen':>12}{'vs separate':>13}")
    for n in (int(size) for size in args.sizes.split(",")):
        medians, record_bytes = probe(n, args.rounds)
        for name, ns in medians.items():
            print(f"{n:>12,}{name:>10}{ns:>12.1f}{medians['separate'] / ns:>12.2f}x")
    print(f"(record: {record_bytes} bytes per citizen, aligned; load average after "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
