"""The dynamic sampling context sent in ``baggage`` equals the envelopes' ``trace`` header."""

import contextvars
import functools
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind
from scopetel_exporter_sentry import Envelope

import scopetel
from scopetel._propagation.headers import parse_baggage
from scopetel.testing import CapturingTransport, capture_envelopes

UPSTREAM_SENTRY_TRACE = "771a43a4192642f0b136d5159a501700-b3a1f0c24e5d6a7f-1"


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body in a copy of the Context (stale state stays in the copy)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        contextvars.copy_context().run(test, *args, **kwargs)

    return run


def _transaction_envelopes(transport: CapturingTransport) -> list[Envelope]:
    return [e for e in transport.envelopes if e.items and e.items[0].type == "transaction"]


@isolated
def test_baggage_matches_envelope_dsc_under_instrumentation_root() -> None:
    tracer = otel_trace.get_tracer("opentelemetry.instrumentation.flask")
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with tracer.start_as_current_span(
            "GET /items", kind=SpanKind.SERVER, attributes={"http.route": "/items"}
        ):
            baggage = parse_baggage(scopetel.get_baggage() or "").sentry
        scopetel.flush()
    (envelope,) = _transaction_envelopes(transport)
    header = envelope.headers["trace"]
    assert {k.removeprefix("sentry-"): v for k, v in baggage.items()} == header


@isolated
def test_follow_up_segment_carries_the_trace_head_dsc() -> None:
    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=0.05) as transport:
        with scopetel.start_transaction(name="GET /download", op="http.server") as root:
            body = root.start_child(op="stream", name="stream body")
        time.sleep(0.3)  # the root is emitted without the open child
        body.finish()  # ... which goes out as a follow-up transaction
        scopetel.flush()
    headers = [envelope.headers["trace"] for envelope in _transaction_envelopes(transport)]
    assert len(headers) == 2
    assert headers[0] == headers[1]


@isolated
def test_url_name_frozen_in_dsc_is_not_sent_after_rename() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="/users/4711", source="url") as transaction:
            baggage = parse_baggage(scopetel.get_baggage() or "").sentry
            transaction.name = "/users/{id}"
            transaction.source = "route"
        scopetel.flush()
    (envelope,) = _transaction_envelopes(transport)
    assert "sentry-transaction" not in baggage
    assert envelope.headers["trace"].get("transaction") != "/users/4711"


@isolated
def test_huge_transaction_names_are_cut_everywhere_they_are_kept() -> None:
    name = "checkout-" + "x" * 100_000
    with capture_envelopes(traces_sample_rate=1.0, max_value_length=200) as transport:
        with scopetel.start_transaction(name=name):
            baggage = parse_baggage(scopetel.get_baggage() or "").sentry
        scopetel.flush()
    [envelope] = _transaction_envelopes(transport)
    event = envelope.items[0].json()
    assert len(event["transaction"]) <= 200
    assert event["transaction"].startswith("checkout-")
    assert len(envelope.headers["trace"]["transaction"]) <= 200
    assert len(baggage["sentry-transaction"]) <= 200
    assert envelope.headers["trace"]["transaction"] == baggage["sentry-transaction"]
