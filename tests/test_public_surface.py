"""The public surface is pinned; the README's options table is the code's table."""

import importlib.util
from pathlib import Path

import scopetel
from scopetel._config import options as _options

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "HttpTransport",
    "Hub",
    "Scope",
    "Span",
    "Transaction",
    "Transport",
    "VERSION",
    "__version__",
    "add_attachment",
    "add_breadcrumb",
    "capture_checkin",
    "capture_event",
    "capture_exception",
    "capture_message",
    "configure_scope",
    "continue_trace",
    "end_session",
    "flush",
    "flush_async",
    "get_baggage",
    "get_client",
    "get_current_scope",
    "get_current_span",
    "get_global_scope",
    "get_isolation_scope",
    "get_traceparent",
    "init",
    "is_initialized",
    "isolation_scope",
    "last_event_id",
    "logger",
    "metrics",
    "monitor",
    "new_scope",
    "push_scope",
    "remove_attribute",
    "set_attribute",
    "set_attributes",
    "profiler",
    "set_context",
    "set_extra",
    "set_level",
    "set_measurement",
    "set_tag",
    "set_tags",
    "set_transaction_name",
    "set_user",
    "start_session",
    "start_span",
    "start_transaction",
    "trace",
    "update_current_span",
    "use_isolation_scope",
    "use_scope",
}


def test_all_is_pinned_and_every_name_exists() -> None:
    assert set(scopetel.__all__) == EXPECTED
    for name in scopetel.__all__:
        assert getattr(scopetel, name) is not None


def test_the_top_level_names_are_sentry_sdk_api_s() -> None:
    """``scopetel`` re-exports ``scopetel.api`` (``sentry_sdk.api``): the same objects."""
    from scopetel import api

    for name in api.__all__:
        assert getattr(scopetel, name) is getattr(api, name), name


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
