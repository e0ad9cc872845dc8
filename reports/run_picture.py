"""``coprod run``'s picture (``dimensions.png``), drawn in a helper process that imports matplotlib
while the run imports its own libraries and steps the model.

matplotlib's import is about half a second, a quarter of a warm ``coprod run``. ``Painter`` starts
``python -m coprod.reports.run_picture`` before the simulation; the helper imports matplotlib and
waits on its standard input for one picture (the columns as JSON: Python's float repr gives back
every bit), draws it exactly as ``draw_dimensions`` does in-process, writes the file and exits.
On a machine with two cores the import costs the run nothing. The run waits for the picture
before its result folder is renamed into place, so a finished run has every file; a failed
picture fails the run as before. Without stdin (the run ended early) the helper simply exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Seconds the run waits for the helper to finish a picture (it takes about one on a busy machine).
PICTURE_TIMEOUT = 300.0


def draw_dimensions(columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
                    dimensions: Sequence[str]) -> None:
    """Five small panels: each dimension's monthly output and its long-horizon reading.

    Drawn with matplotlib's object API on the Agg canvas: importing ``pyplot`` (its backend
    machinery and state) cost about half a second of a one-second run."""
    # Imported here: the run's own process never imports matplotlib (``Painter``), nor does
    # ``--no-plots``; the helper imports it as soon as it starts.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(16, 3.4))
    FigureCanvasAgg(fig)
    # A fixed layout and one shared value axis: tight_layout measured every tick label's box, which
    # was a third of the drawing; all five panels read on the same 0-1 scale anyway.
    fig.subplots_adjust(left=0.045, right=0.995, bottom=0.15, top=0.8, wspace=0.06)
    axes = fig.subplots(1, len(dimensions), sharex=True, sharey=True)
    for ax, dim in zip(axes, dimensions):
        ax.plot(columns["step"], columns[f"{dim}_output"], lw=0.9, alpha=0.6, label="output (monthly)")
        ax.plot(columns["step"], columns[f"{dim}_long"], lw=2.0, label="long horizon")
        ax.set_title(dim.replace("_", " "), fontsize=10)
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_ylabel("value (0-1)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=110)


class Painter:
    """The helper process that draws one picture (see the module docstring)."""

    def __init__(self):
        self._process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def draw(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
             dimensions: Sequence[str]) -> None:
        """Draw the picture in the helper and wait for it; RuntimeError (its last line) if it failed."""
        wanted = ["step", *(f"{dim}_{reading}" for dim in dimensions for reading in ("output", "long"))]
        kinds = {name: (int if name == "step" else float) for name in wanted}  # the types drawn in-process
        order = {"path": str(path), "title": title, "dimensions": list(dimensions),
                 "columns": {name: [kind(value) for value in columns[name]] for name, kind in kinds.items()}}
        try:
            _, err = self._process.communicate(json.dumps(order).encode(), timeout=PICTURE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.close()
            raise RuntimeError(f"drawing {Path(path).name} took over {PICTURE_TIMEOUT:g} s") from None
        if self._process.returncode != 0 or not Path(path).is_file():
            last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"drawing {Path(path).name} failed: {last}")

    def close(self) -> None:
        """End the helper if it still runs (the run stopped before its picture)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def _serve() -> int:
    """The helper: import matplotlib now, then draw the one picture the run sends (none on EOF)."""
    import matplotlib.backends.backend_agg  # noqa: PLC0415 - the import this process exists to pay early
    import matplotlib.figure  # noqa: F401, PLC0415

    text = sys.stdin.buffer.read()
    if not text:
        return 0
    order = json.loads(text)
    draw_dimensions(order["columns"], order["path"], order["title"], order["dimensions"])
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
