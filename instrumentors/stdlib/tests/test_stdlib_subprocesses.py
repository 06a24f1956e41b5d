"""Child processes: a breadcrumb always; spans and trace headers inside a span."""

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from scopetel_instrumentation_stdlib.subprocesses import SubprocessInstrumentor
from stdlib_support import capturing, instrumented

import scopetel

PRINT_HEADERS = (
    "import os; print(os.environ.get('SUBPROCESS_SENTRY_TRACE'));"
    "print(os.environ.get('SUBPROCESS_BAGGAGE')); print(os.environ.get('KEPT'))"
)


@pytest.fixture(autouse=True)
def _instrumented() -> Iterator[None]:
    with instrumented(SubprocessInstrumentor()), scopetel.isolation_scope() as scope:
        scope.clear_breadcrumbs()
        yield


def _crumbs(event: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    return [
        (c["type"], c["category"], c["message"], sorted(c.get("data", {})))
        for c in event["breadcrumbs"]["values"]
    ]


def test_inside_a_transaction_spans_breadcrumb_and_trace_headers(tmp_path: Any) -> None:
    env = {**os.environ, "KEPT": "yes"}
    with capturing(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(op="task", name="spawn") as transaction:
            done = subprocess.run(
                [sys.executable, "-c", PRINT_HEADERS],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                check=True,
            )
            scopetel.capture_message("spawned")
    trace, baggage, kept = done.stdout.splitlines()
    assert trace.startswith(f"{transaction.trace_id}-") and "sentry-trace_id=" in baggage
    assert kept == "yes" and "SUBPROCESS_SENTRY_TRACE" not in env  # the caller's copy stays
    command = f"{sys.executable} -c {PRINT_HEADERS}"
    (event,) = transport.events()
    assert _crumbs(event) == [("subprocess", "subprocess", command, ["subprocess.cwd"])]
    (sent,) = transport.transactions()
    # run(): Popen, communicate (which waits), and the wait of Popen.__exit__
    spawn, communicate, *waits = sorted(sent["spans"], key=lambda span: span["start_timestamp"])
    assert [spawn["op"], communicate["op"]] == ["subprocess", "subprocess.communicate"]
    assert {span["op"] for span in waits} == {"subprocess.wait"}
    parents = {span["parent_span_id"] for span in waits}
    assert parents == {communicate["span_id"], communicate["parent_span_id"]}
    assert (spawn["description"], spawn["origin"]) == (command, "auto.subprocess.stdlib.subprocess")
    assert spawn["data"]["subprocess.cwd"] == str(tmp_path)
    pids = {span["tags"]["subprocess.pid"] for span in sent["spans"]}
    assert len(pids) == 1 and pids != {""}


def test_outside_any_span_a_breadcrumb_only() -> None:
    with capturing(traces_sample_rate=1.0) as transport:
        output = subprocess.check_output([sys.executable, "-c", PRINT_HEADERS], text=True)
        scopetel.capture_message("spawned")
    assert output.splitlines()[:2] == ["None", "None"]  # no trace headers, env untouched
    assert transport.transactions() == []
    (event,) = transport.events()
    assert [crumb[:2] for crumb in _crumbs(event)] == [("subprocess", "subprocess")]


def test_a_failing_start_is_recorded_and_raised() -> None:
    with capturing(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="spawn"), pytest.raises(FileNotFoundError):
            subprocess.Popen(["/nonexistent/program"])
    (sent,) = transport.transactions()
    (span,) = sent["spans"]
    assert (span["op"], span["status"]) == ("subprocess", "internal_error")
    assert "subprocess.pid" not in span.get("tags", {})
