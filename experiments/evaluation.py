"""What a worker evaluates: one model run's outcomes (a sweep's run), and a claim's pair of runs.

Runs go to pool workers (and dask workers) as functions named by their module; a worker imports
that module to find them. This one imports nothing of the commands (pandas tables, SciPy's
statistics, SALib, the reports), so a worker that runs a sweep's runs or a battery's pairs does not
import ``sweep`` or ``claims`` to find them: 0.85 s of CPU a worker, as much as the rest of its start
(interpreter, the model's imports and its kernels; measured), before its first run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def evaluate_model(parameters: dict[str, Any], seed: int, *, steps: int, engine: str = "auto") -> dict[str, float]:
    """Build ``CoProductionModel`` with ``parameters``, step ``steps`` months, return its outcomes."""
    # The model (mesa, numba) costs 3.2 s to import on top of `sweep` (python -X importtime, under
    # load): `coprod analyze` imports `sweep` to read a sweep's tables and never runs the model.
    from coprod.model.model import CoProductionModel  # noqa: PLC0415 - start-up cost, above

    model = CoProductionModel(seed=seed, engine=engine, **parameters)
    for _ in range(steps):
        model.step()
    model.forget()
    return dict(model.outcomes)


def evaluate_outcomes(evaluate: Callable, outcomes: list[str], parameters: dict[str, Any],
                      seed: int) -> dict[str, float]:
    """Worker side: one run's named outcomes as floats (a missing one is the run's error)."""
    result = evaluate(parameters, seed)
    missing = [name for name in outcomes if name not in result]
    if missing:
        raise KeyError(f"evaluation returned no {', '.join(missing)}")
    return {name: float(result[name]) for name in outcomes}


def run_pair(treatment: dict, control: dict, outcome: str, seed: int, steps: int, engine: str) -> tuple[float, float]:
    """Both arms of a claim with the same seed; returns (treatment, control) values of ``outcome``."""
    return (evaluate_model(treatment, seed, steps=steps, engine=engine)[outcome],
            evaluate_model(control, seed, steps=steps, engine=engine)[outcome])


def evaluate_pair(payload: tuple, seed: int) -> tuple[float, float]:
    """Worker side of a claims battery: ``run_pair`` on a task's payload."""
    treatment, control, outcome, steps, engine = payload
    return run_pair(treatment, control, outcome, seed, steps, engine)
