"""``coprod run``'s picture (``dimensions.png``), drawn in a helper process that imports matplotlib
and lays the picture out while the run imports its own libraries and steps the model.

matplotlib's import is about half a second, a quarter of a warm ``coprod run``, and drawing the
picture about as long again. Everything in the picture but its ten lines' heights and its title is
known before the run: the months (1 to ``--steps``), the panels, axes, ticks, labels and legend.
``Painter`` starts ``python -m coprod.reports.run_picture STEPS DIMENSION...`` before the
simulation; the helper imports matplotlib, builds the picture with placeholder heights
(``DimensionsFigure``) and draws it once into its canvas (laying out every tick and label, loading
the fonts), then waits on its standard input for the run's columns (JSON: Python's float repr
gives back every bit), sets the lines' heights and the title, writes the file and exits. The run
sends its columns as soon as the months are done and writes its other files while the picture is
drawn; it waits for the picture before its result folder is renamed into place, so a finished run
has every file, and a failed picture fails the run as before. The picture has the same bytes as
when drawn in one go in-process (``draw_dimensions``; test). Without stdin (the run ended early)
the helper simply exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

# Seconds the run waits for the helper to finish a picture (it takes about one on a busy machine).
PICTURE_TIMEOUT = 300.0
DPI = 110


class DimensionsFigure:
    """Five small panels: each dimension's monthly output and its long-horizon reading, built for
    the months ``steps`` (the x values) before their heights are known.

    Drawn with matplotlib's object API on the Agg canvas: importing ``pyplot`` (its backend
    machinery and state) cost about half a second of a one-second run."""

    def __init__(self, steps: Sequence[int], dimensions: Sequence[str]):
        # Imported here: the run's own process never imports matplotlib (``Painter``), nor does
        # ``--no-plots``; the helper imports it as soon as it starts.
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415

        self.steps = [int(step) for step in steps]
        self.dimensions = list(dimensions)
        fig = Figure(figsize=(16, 3.4))
        FigureCanvasAgg(fig)
        # A fixed layout and one shared value axis: tight_layout measured every tick label's box, which
        # was a third of the drawing; all five panels read on the same 0-1 scale anyway.
        fig.subplots_adjust(left=0.045, right=0.995, bottom=0.15, top=0.8, wspace=0.06)
        axes = fig.subplots(1, len(dimensions), sharex=True, sharey=True)
        # Placeholder heights inside the fixed value axis: the months alone set the x axis's limits.
        placeholder = [0.5] * len(self.steps)
        self.lines = {}
        for ax, dim in zip(axes, dimensions):
            self.lines[f"{dim}_output"], = ax.plot(self.steps, placeholder, lw=0.9, alpha=0.6, label="output (monthly)")
            self.lines[f"{dim}_long"], = ax.plot(self.steps, placeholder, lw=2.0, label="long horizon")
            ax.set_title(dim.replace("_", " "), fontsize=10)
            ax.set_xlabel("month")
            ax.grid(alpha=0.3)
        axes[0].set_ylim(-0.02, 1.02)
        axes[0].set_ylabel("value (0-1)")
        axes[0].legend(fontsize=8, loc="lower left")
        self.figure = fig

    def rehearse(self) -> None:
        """Draw once into the canvas at the file's resolution (nothing written): lays out the ticks
        and labels and loads the fonts, so ``finish`` only draws."""
        figure = self.figure
        dpi, figure.dpi = figure.dpi, DPI
        try:
            figure.canvas.draw()
        finally:
            figure.dpi = dpi

    def fits(self, columns: Mapping[str, Sequence[float]], dimensions: Sequence[str]) -> bool:
        """Whether the run's ``columns`` are for the months and dimensions this figure was built for."""
        return list(dimensions) == self.dimensions and [int(step) for step in columns["step"]] == self.steps

    def finish(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str) -> None:
        """Set the lines' heights from ``columns`` and the title, and write the PNG to ``path``."""
        for name, line in self.lines.items():
            line.set_ydata(columns[name])
        self.figure.suptitle(title, fontsize=11)
        self.figure.savefig(path, dpi=DPI)


def draw_dimensions(columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
                    dimensions: Sequence[str]) -> None:
    """The picture of a run's ``columns`` drawn here, in one go (``DimensionsFigure``)."""
    DimensionsFigure(columns["step"], dimensions).finish(columns, path, title)


class Painter:
    """The helper process that draws one picture (see the module docstring), for a run of ``steps``
    months and these ``dimensions``."""

    def __init__(self, steps: int, dimensions: Sequence[str]):
        self._process = subprocess.Popen([sys.executable, "-m", __name__, str(int(steps)), *dimensions],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._order: tuple[threading.Thread, list, Path] | None = None

    def send(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
             dimensions: Sequence[str]) -> None:
        """Send the picture's order and return at once; the helper draws it while this process goes
        on (``wait`` collects it)."""
        wanted = ["step", *(f"{dim}_{reading}" for dim in dimensions for reading in ("output", "long"))]
        kinds = {name: (int if name == "step" else float) for name in wanted}  # the types drawn in-process
        order = {"path": str(path), "title": title, "dimensions": list(dimensions),
                 "columns": {name: [kind(value) for value in columns[name]] for name, kind in kinds.items()}}
        outcome: list = []
        thread = threading.Thread(target=self._communicate, args=(json.dumps(order).encode(), outcome), daemon=True)
        thread.start()
        self._order = (thread, outcome, Path(path))

    def _communicate(self, order: bytes, outcome: list) -> None:
        try:
            outcome.append(self._process.communicate(order, timeout=PICTURE_TIMEOUT))
        except BaseException as err:  # noqa: BLE001 - handed to ``wait``, which raises it in the run's thread
            outcome.append(err)

    def wait(self) -> None:
        """Wait for the picture sent; RuntimeError (the helper's last line) if it failed."""
        if self._order is None:
            raise RuntimeError("no picture was sent to the helper")
        thread, outcome, path = self._order
        thread.join()
        if isinstance(outcome[0], subprocess.TimeoutExpired):
            self.close()
            raise RuntimeError(f"drawing {path.name} took over {PICTURE_TIMEOUT:g} s")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        _, err = outcome[0]
        if self._process.returncode != 0 or not path.is_file():
            last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"drawing {path.name} failed: {last}")

    def draw(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
             dimensions: Sequence[str]) -> None:
        """Draw the picture in the helper (unless it was sent already) and wait for it."""
        if self._order is None:
            self.send(columns, path, title, dimensions)
        self.wait()

    def close(self) -> None:
        """End the helper if it still runs (the run stopped before its picture)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._order is not None:
            self._order[0].join()
        for stream in (self._process.stdin, self._process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def _serve(steps: int, dimensions: list[str]) -> int:
    """The helper: import matplotlib, build and rehearse the picture, then finish the one picture the
    run sends (none on EOF)."""
    prepared = DimensionsFigure(range(1, steps + 1), dimensions)
    prepared.rehearse()
    text = sys.stdin.buffer.read()
    if not text:
        return 0
    order = json.loads(text)
    if prepared.fits(order["columns"], order["dimensions"]):
        prepared.finish(order["columns"], order["path"], order["title"])
    else:  # not the months or panels foreseen: drawn in one go
        draw_dimensions(order["columns"], order["path"], order["title"], order["dimensions"])
    return 0


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1]), sys.argv[2:]))
