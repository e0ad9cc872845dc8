"""Rewrite the parameter table in docs/ODD.md from the declarations in core/parameters.py."""

from __future__ import annotations

import sys
from pathlib import Path

from coprod.core.parameters import markdown_table

START, END = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"
ODD = Path(__file__).resolve().parent / "ODD.md"


def with_table(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{markdown_table()}{END}{tail}"


if __name__ == "__main__":
    ODD.write_text(with_table(ODD.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
