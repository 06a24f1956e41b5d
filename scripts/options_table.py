"""Rewrite the options table in README.md from scopetel._options.TABLE."""

import re
import sys
from pathlib import Path

from scopetel._options import markdown_table

START, END = "<!-- options-table:start -->", "<!-- options-table:end -->"


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: f"{START}\n{markdown_table()}\n{END}", readme)


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "README.md"
    path.write_text(render(path.read_text()))
    sys.exit(0)
