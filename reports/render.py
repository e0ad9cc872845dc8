"""The one report pipeline: a report is written once as Markdown; this renders it to one
self-contained HTML page (Python-Markdown; CSS inline with print margins; images as data URIs),
so the page opens offline, prints, and says exactly what the Markdown says."""

from __future__ import annotations

import base64
import html
import xml.etree.ElementTree as etree

import markdown
from markdown.treeprocessors import Treeprocessor

CSS = """
:root { --ink:#1d2430; --muted:#5b6573; --line:#d9dee5; --band:#f4f6f9; --accent:#1f5fa8; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1180px; padding: 24px 32px 48px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 6px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td strong { color: var(--accent); }
img { max-width: 100%; height: auto; border: 1px solid var(--line); }
code { font-size: 12px; background: var(--band); padding: 1px 4px; }
blockquote { background: #fdf1ef; border-left: 4px solid #b3261e; margin: 12px 0; padding: 4px 12px; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2, h3 { page-break-after: avoid; break-after: avoid; }
  table, img { page-break-inside: avoid; break-inside: avoid; }
  img { border: none; max-height: 24cm; }
  a { color: inherit; text-decoration: none; }
}
"""


class _InlineImages(Treeprocessor):
    """Replace ``![alt](name.png)`` sources by the image's bytes as a data URI."""

    def __init__(self, md, images: dict[str, bytes]):
        super().__init__(md)
        self.images = images

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            name = img.get("src", "")
            if name not in self.images:
                raise KeyError(f"the report names an image it was not given: {name}")
            img.set("src", "data:image/png;base64," + base64.b64encode(self.images[name]).decode("ascii"))


def to_html(text: str, images: dict[str, bytes] | None = None, title: str | None = None) -> str:
    """The Markdown ``text`` as a self-contained page; ``images`` maps each file name the text
    shows (``![...](name.png)``) to its PNG bytes. The title is the first heading unless given."""
    converter = markdown.Markdown(extensions=["tables", "sane_lists", "attr_list", "md_in_html"],
                                  output_format="html")
    converter.treeprocessors.register(_InlineImages(converter, images or {}), "inline_images", 0)
    body = converter.convert(text)
    if title is None:
        headings = (line[2:].strip() for line in text.splitlines() if line.startswith("# "))
        title = next(headings, "coprod report")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (cells are Markdown)."""
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 replication``, ``2 replications``."""
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


def warning(text: str) -> str:
    """A warning block the reader cannot miss (a quote block)."""
    return f"> **Warning:** {text}"
