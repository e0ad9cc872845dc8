"""``coprod run``'s picture (``dimensions.png``), drawn in a helper process that imports matplotlib
and lays the picture out while the run imports its own libraries and steps the model.

matplotlib's import is about half a second, a quarter of a warm ``coprod run``, and drawing the
picture about a tenth of a second more. Everything in the picture but its ten lines' heights and
its title is known before the run: the months (1 to ``--steps``), the panels, axes, ticks, labels
and legend. ``coprod run`` starts the helper (``python -m coprod.reports.run_picture``) first
thing, before its own imports (``early_painter``); the helper imports matplotlib while the run
imports the model, then reads the picture's shape (the months and panels) as soon as the run
knows them (``Painter.prepare``), builds the picture with placeholder heights
(``DimensionsFigure``) and draws into its canvas everything that lies under the lines (axes,
ticks, labels, grid: ``rehearse``). Then it waits on its standard input for the run's columns
(JSON: Python's float repr gives back every bit), draws the lines and what lies over them on those
kept pixels, writes the file and exits. The run sends its columns as soon as the months are done
and writes its other files while the picture is finished; it waits for the picture before its
result folder is renamed into place, so a finished run has every file, and a failed picture fails
the run as before. The picture has the same bytes as when drawn in one go in-process
(``draw_dimensions``; test). Without stdin (the run ended early) the helper simply exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from operator import attrgetter
from pathlib import Path

# Seconds the run waits for the helper to finish a picture (it takes about one on a busy machine).
PICTURE_TIMEOUT = 300.0
DPI = 110
TITLE_SIZE = 11


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
        axes = fig.subplots(1, len(dimensions), sharex=True, sharey=True, squeeze=False)[0]
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
        # Pixels of everything under the lines, drawn by ``rehearse``; None: ``finish`` draws it all.
        self._under_lines = None

    def rehearse(self) -> None:
        """Draw, at the file's resolution, everything that lies under the lines (each panel's face,
        grid, ticks, labels and titles) and keep those pixels, so that ``finish`` draws only the
        lines and what lies over them (the frames, the legend and the figure's title).

        Each panel draws its parts in order of their ``zorder``; the parts that touch the lines'
        pixels (``_over_lines``) are marked animated, which the canvas leaves out of a draw, and
        ``finish`` draws them in the same order on the kept pixels. That gives the bytes of a draw
        in one go because nothing else touches those pixels (test)."""
        figure = self.figure
        figure.dpi = DPI
        # The figure's title is drawn last, over everything; its text comes with the columns.
        over = [*self._over_lines(), figure.suptitle(" ", fontsize=TITLE_SIZE)]
        for artist in over:
            artist.set_animated(True)
        figure.canvas.draw()
        self._under_lines = figure.canvas.copy_from_bbox(figure.bbox)
        renderer = figure.canvas.get_renderer()
        for artist in over:  # drawn once over the kept pixels: their fonts and layouts are then ready
            artist.draw(renderer)

    def _over_lines(self) -> list:
        """Each panel's parts that touch its lines' pixels from the lines on (the lines, the frame
        over them, the legend over both), panel by panel, in the order the panel draws them. The
        panel's title and labels are drawn later than the lines too, but outside the frame, which
        clips the lines: they stay with the kept pixels."""
        over = []
        for ax in self.figure.axes:
            parts = [*ax.lines, *ax.spines.values(), *([ax.get_legend()] if ax.get_legend() else [])]
            over.extend(sorted(parts, key=attrgetter("zorder")))  # stable: the panel's own order among equals
        return over

    def fits(self, columns: Mapping[str, Sequence[float]], dimensions: Sequence[str]) -> bool:
        """Whether the run's ``columns`` are for the months and dimensions this figure was built for."""
        return list(dimensions) == self.dimensions and [int(step) for step in columns["step"]] == self.steps

    def finish(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str) -> None:
        """Set the lines' heights from ``columns`` and the title, and write the PNG to ``path``."""
        for name, line in self.lines.items():
            line.set_ydata(columns[name])
        title_text = self.figure.suptitle(title, fontsize=TITLE_SIZE)
        if self._under_lines is None:
            self.figure.savefig(path, dpi=DPI)
            return
        canvas = self.figure.canvas
        canvas.restore_region(self._under_lines)
        renderer = canvas.get_renderer()
        for artist in [*self._over_lines(), title_text]:
            artist.draw(renderer)
        # What ``savefig`` does after its draw (``FigureCanvasAgg.print_png``): the same bytes.
        from matplotlib.image import imsave  # noqa: PLC0415 - matplotlib is the helper's alone (see __init__)

        imsave(path, canvas.buffer_rgba(), format="png", origin="upper", dpi=self.figure.dpi)


def draw_dimensions(columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
                    dimensions: Sequence[str]) -> None:
    """The picture of a run's ``columns`` drawn here, in one go (``DimensionsFigure``)."""
    DimensionsFigure(columns["step"], dimensions).finish(columns, path, title)


class Painter:
    """The helper process that draws one picture (see the module docstring); ``steps`` and
    ``dimensions``, when given, are its shape (else ``prepare`` gives it, or ``send``)."""

    def __init__(self, steps: int | None = None, dimensions: Sequence[str] | None = None):
        self._process = subprocess.Popen([sys.executable, "-m", __name__],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._order: tuple[threading.Thread, list, Path] | None = None
        self._prepared = False
        if steps is not None and dimensions is not None:
            self.prepare(steps, dimensions)

    def prepare(self, steps: int, dimensions: Sequence[str]) -> None:
        """Tell the helper the picture's shape, the months 1 to ``steps`` in panels ``dimensions``,
        so it lays the picture out before the run's columns come (once; later calls do nothing)."""
        if self._prepared:
            return
        self._prepared = True
        shape = json.dumps({"steps": int(steps), "dimensions": list(dimensions)})
        try:
            self._process.stdin.write(shape.encode() + b"\n")
            self._process.stdin.flush()
        except OSError:
            pass  # the helper has stopped: ``wait`` says why

    def send(self, columns: Mapping[str, Sequence[float]], path: Path | str, title: str,
             dimensions: Sequence[str]) -> None:
        """Send the picture's order and return at once; the helper draws it while this process goes
        on (``wait`` collects it)."""
        self.prepare(len(columns["step"]), dimensions)
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


def early_painter(argv: Sequence[str]) -> Painter | None:
    """The helper for ``coprod run`` with these words, started before the run imports anything
    (``cli.main``), so matplotlib's import runs beside the run's; None when the run draws no
    picture (``--no-plots``) or only its help is asked. A run that stops before its picture
    closes it (``Painter.close``)."""
    if any(word in ("--no-plots", "-h", "--help") for word in argv):
        return None
    return Painter()


def _serve() -> int:
    """The helper: import matplotlib, read the picture's shape, build and rehearse the picture,
    then finish the one picture the run sends (none on EOF)."""
    # Imported before the shape comes, so beside the run's own imports.
    from matplotlib import figure  # noqa: F401, PLC0415 - the helper's first half second
    from matplotlib.backends import backend_agg  # noqa: F401, PLC0415 - the same

    shape = sys.stdin.buffer.readline()
    if not shape:
        return 0
    shape = json.loads(shape)
    prepared = DimensionsFigure(range(1, shape["steps"] + 1), shape["dimensions"])
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
    code = _serve()
    # The picture is written and closed: the interpreter's teardown (freeing matplotlib's objects one
    # by one, a third of a second on a busy machine) would only delay the run that waits for this exit.
    sys.stderr.flush()
    os._exit(code)
