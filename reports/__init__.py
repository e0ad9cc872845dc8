"""Reports an analyst hands on: each written once as Markdown and rendered to self-contained HTML."""
