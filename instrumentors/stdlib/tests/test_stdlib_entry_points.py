"""The runtime instrumentors are found by entry points, enabled by init(), and can be disabled."""

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from scopetel_instrumentation_gevent import GeventInstrumentor
from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor
from scopetel_instrumentation_stdlib.excepthook import ExcepthookInstrumentor
from scopetel_instrumentation_stdlib.logs import LoggingInstrumentor
from scopetel_instrumentation_stdlib.subprocesses import SubprocessInstrumentor
from scopetel_instrumentation_stdlib.threads import ThreadingInstrumentor
from stdlib_support import uninstrumented

import scopetel

RUNTIME = {
    "scopetel_threading": ThreadingInstrumentor,
    "scopetel_asyncio": AsyncioInstrumentor,
    "scopetel_logging": LoggingInstrumentor,
    "scopetel_excepthook": ExcepthookInstrumentor,
    "scopetel_gevent": GeventInstrumentor,
    "scopetel_subprocess": SubprocessInstrumentor,
}


@pytest.fixture
def none_instrumented() -> Iterator[None]:
    for cls in RUNTIME.values():
        uninstrumented(cls())
    yield
    for cls in RUNTIME.values():
        uninstrumented(cls())


def _instrumented() -> set[str]:
    return {name for name, cls in RUNTIME.items() if cls().is_instrumented_by_opentelemetry}


def test_every_runtime_instrumentor_has_its_entry_point() -> None:
    found = {ep.name: ep.load() for ep in entry_points(group="opentelemetry_instrumentor")}
    assert {name: found.get(name) for name in RUNTIME} == RUNTIME
    plugins = entry_points(group="gevent.plugins.monkey.did_patch_all")
    assert "scopetel_instrumentation_gevent._plugin:did_patch_all" in {ep.value for ep in plugins}


def test_init_enables_them_all_and_disabled_integrations_leaves_some_out(
    none_instrumented,
) -> None:
    scopetel.init(disabled_integrations=["logging", "scopetel_gevent"])
    assert _instrumented() == set(RUNTIME) - {"scopetel_logging", "scopetel_gevent"}


def test_the_otel_variable_disables_them_too(none_instrumented, monkeypatch) -> None:
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "scopetel_threading,asyncio")
    scopetel.init()
    assert _instrumented() == set(RUNTIME) - {"scopetel_threading", "scopetel_asyncio"}


def test_default_integrations_false_enables_none(none_instrumented) -> None:
    scopetel.init(default_integrations=False)
    assert _instrumented() == set()


def test_opentelemetry_instrument_loads_them(tmp_path: Path) -> None:
    probe = """
import asyncio, concurrent.futures, logging, sys, threading
print(sys.excepthook is sys.__excepthook__, threading.excepthook is threading.__excepthook__)
print(hasattr(threading.Thread.start, "__wrapped__"))
print(hasattr(concurrent.futures.ThreadPoolExecutor.submit, "__wrapped__"))
print(hasattr(logging.Logger.callHandlers, "__wrapped__"))
print(hasattr(logging.makeLogRecord({}), "trace_id"))  # scopetel's factory is in the chain
print(hasattr(asyncio.BaseEventLoop.call_exception_handler, "__wrapped__"))
"""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "SENTRY_", "SCOPETEL_"))
    }
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="scopetel_excepthook",
        SCOPETEL_RAISE_INTERNAL_ERRORS="1",
    )
    result = subprocess.run(
        [str(bin_dir / "opentelemetry-instrument"), sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True True",  # scopetel_excepthook disabled: the interpreter's own hooks
        "True",
        "True",
        "True",
        "True",
        "True",
    ]
