"""The bundled scenario files (``*.toml``), installed with the package as data."""

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent


def bundled() -> list[str]:
    """Names of the scenarios shipped with coprod."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
