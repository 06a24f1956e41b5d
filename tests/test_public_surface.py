"""The public surface is pinned; the README's options table is the code's table."""

import importlib.util
from pathlib import Path

import scopetel
from scopetel._config import options as _options

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "Scope",
    "Span",
    "Transaction",
    "__version__",
    "add_breadcrumb",
    "capture_event",
    "capture_exception",
    "capture_message",
    "continue_trace",
    "flush",
    "get_baggage",
    "get_current_scope",
    "get_current_span",
    "get_global_scope",
    "get_isolation_scope",
    "get_traceparent",
    "init",
    "is_initialized",
    "isolation_scope",
    "last_event_id",
    "new_scope",
    "profiler",
    "set_context",
    "set_extra",
    "set_level",
    "set_measurement",
    "set_tag",
    "set_tags",
    "set_transaction_name",
    "set_user",
    "start_span",
    "start_transaction",
    "trace",
    "use_isolation_scope",
    "use_scope",
}


def test_all_is_pinned_and_every_name_exists() -> None:
    assert set(scopetel.__all__) == EXPECTED
    for name in scopetel.__all__:
        assert getattr(scopetel, name) is not None


def test_no_legacy_hub_api() -> None:
    for legacy in ("Hub", "push_scope", "configure_scope"):
        assert not hasattr(scopetel, legacy)


def test_every_option_is_declared_with_a_check_and_a_doc() -> None:
    defaults = _options.Options()
    for option in _options.TABLE:
        assert option.doc.strip(), option.name
        assert option.check(option.name, option.default) == getattr(defaults, option.name)
        assert option.env is None or option.env.startswith("SENTRY_"), option.name


def test_readme_options_table_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "options_table", ROOT / "scripts/options_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text()
    assert module.render(readme) == readme, "run: python scripts/options_table.py"


def test_package_ships_py_typed() -> None:
    assert (Path(scopetel.__file__).parent / "py.typed").exists()
