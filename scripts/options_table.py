"""Rewrite the README's tables: options from scopetel._config.options.TABLE, OpenTelemetry
variables from scopetel._config.otel_env.VARIABLES."""

import re
import sys
from collections.abc import Callable
from pathlib import Path

from scopetel._config import options as _options
from scopetel._config import otel_env as _otel_env

TABLES: dict[str, Callable[[], str]] = {
    "options-table": _options.markdown_table,
    "otel-table": _otel_env.markdown_table,
}


def render(readme: str) -> str:
    for name, table in TABLES.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
        readme = pattern.sub(lambda _, s=start, e=end, t=table: f"{s}\n{t()}\n{e}", readme)
    return readme


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "README.md"
    path.write_text(render(path.read_text()))
    sys.exit(0)
