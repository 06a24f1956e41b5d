"""The README's runtime-instrumentor section is the code's: settings table, every entry point."""

import re
from importlib.metadata import entry_points
from pathlib import Path

from scopetel_instrumentation_stdlib._settings import markdown_table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_settings_table_is_up_to_date() -> None:
    text = README.read_text()
    match = re.search(
        r"<!-- runtime-settings:start -->\n(.*?)\n<!-- runtime-settings:end -->", text, re.S
    )
    assert match is not None
    assert match.group(1) == markdown_table()


def test_every_runtime_entry_point_is_listed_with_its_class() -> None:
    text = README.read_text()
    for entry_point in entry_points(group="opentelemetry_instrumentor"):
        if entry_point.value.startswith(
            ("scopetel_instrumentation_stdlib", "scopetel_instrumentation_gevent")
        ):
            module, _, name = entry_point.value.partition(":")
            assert f"| `{entry_point.name}` | `{module}.{name}` |" in text
