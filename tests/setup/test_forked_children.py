"""A forked child (a pre-fork server's worker) is a process of its own: it does not show
the breadcrumbs its parent recorded before the fork, and it reports its own service
instance (``contexts.otel``), as OpenTelemetry's resource in that child does."""

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def in_child(work: Callable[[], Any]) -> Any:
    """Fork; the child runs ``work`` and hands its JSON result back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.write(write, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return json.loads(answer)


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    scopetel.get_isolation_scope().clear_breadcrumbs()  # (earlier tests' process-wide ones)
    with capture_envelopes(default_integrations=False) as captured:
        yield captured
    scopetel.get_isolation_scope().clear_breadcrumbs()


def _message_event(transport: CapturingTransport, message: str) -> dict[str, Any]:
    scopetel.capture_message(message)
    scopetel.flush()
    (event,) = [e for e in transport.events() if e.get("message") == message]
    return event


def test_a_child_does_not_show_the_breadcrumbs_of_its_parent(transport: CapturingTransport) -> None:
    scopetel.add_breadcrumb(message="Listening at: http://127.0.0.1:8000")  # the master's

    def child() -> list[str]:
        scopetel.add_breadcrumb(message="Booted")
        event = _message_event(transport, "from the child")
        return [crumb["message"] for crumb in event["breadcrumbs"]["values"]]

    assert in_child(child) == ["Booted"]
    parent = _message_event(transport, "from the parent")
    assert [c["message"] for c in parent["breadcrumbs"]["values"]] == [
        "Listening at: http://127.0.0.1:8000"
    ]


def test_a_child_reports_its_own_service_instance(transport: CapturingTransport) -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)

    def instance(event: dict[str, Any]) -> str:
        value: str = event["contexts"]["otel"]["resource"]["service.instance.id"]
        return value

    def child() -> list[str]:
        resource = provider.resource.attributes["service.instance.id"]
        return [instance(_message_event(transport, "child")), str(resource)]

    ours = instance(_message_event(transport, "parent"))
    assert ours == provider.resource.attributes["service.instance.id"]
    theirs, their_resource = in_child(child)
    assert theirs == their_resource != ours
