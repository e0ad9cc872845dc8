"""matplotlib's pyplot for the reports' figures, loaded only when a figure is drawn.

The commands import their report modules at start for the tables and words, and draw only at the
end (never with ``--no-plots``): pyplot with its backend costs 0.5 s or more on top of a report
module (3.1 s measured under this machine's load, ``python -X importtime``), so it is not imported
at the top of any report module."""

from __future__ import annotations


def pyplot():
    """``matplotlib.pyplot`` with the file backend (Agg), chosen before pyplot is first imported."""
    import matplotlib  # noqa: PLC0415 - see the module docstring: drawn figures only

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - see the module docstring

    return plt
