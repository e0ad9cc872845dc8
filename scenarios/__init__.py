"""The bundled scenario files (``*.toml``), installed with the package as data."""

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent

