"""The outcome history: one row of floats per month in a preallocated array, behind Mesa's
``DataCollector`` API.

Mesa's collector calls a reporter per column every month and deep-copies each value into a list
(about a hundred calls a month here), which cost a small run more than its citizens' month. This
collector copies the month's outcome row (``model.outcome_row``, written by ``outcomes.read_month``)
into the next row of an array instead; Mesa users still read ``get_model_vars_dataframe()`` and
``model_vars`` as before, with the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Rows allocated at first; the array doubles when a run outgrows it.
FIRST_ROWS = 128


class OutcomeHistory(mesa.DataCollector):
    """Keeps the model's outcome row, whose first entries are ``names`` in order, a row per ``collect``."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self._rows = np.empty((FIRST_ROWS, len(self.names)))
        self._count = 0
        super().__init__()
        # Set directly: Mesa's ``_new_model_reporter`` would also start a list per column.
        self.model_reporters = {name: _reporter(name) for name in self.names}

    def collect(self, model) -> None:
        if self._count == len(self._rows):
            grown = np.empty((2 * len(self._rows), len(self.names)))
            grown[:self._count] = self._rows
            self._rows = grown
        self._rows[self._count] = model.outcome_row[:len(self.names)]
        self._count += 1

    @property
    def rows(self) -> np.ndarray:
        """The collected months as a (months, columns) array, a view (do not write to it)."""
        return self._rows[:self._count]

    @property
    def model_vars(self) -> dict[str, list[float]]:
        """Mesa's layout: each column as a list of floats, one per collected month."""
        return {name: column.tolist() for name, column in zip(self.names, self.rows.T)}

    @model_vars.setter
    def model_vars(self, value) -> None:
        """Mesa's constructor sets an empty dict; the columns live in the array."""

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        # Imported here: ``coprod run`` writes ``rows`` without pandas, ~0.5 s of a ~2 s run.
        import pandas as pd  # noqa: PLC0415

        return pd.DataFrame(self.rows.copy(), columns=self.names)


def _reporter(name: str):
    """What Mesa's own collector would call for the column (kept so ``model_reporters`` reads as usual)."""
    def read(model):
        return model.outcomes.get(name, float("nan"))
    read.__name__ = name
    return read
