"""Names, ops and sources given as other types become strings (issue 12, item 9).

Before, ``start_transaction(name=12345)`` reached Relay as a number ("expected a
string"), the trace's DSC held a non-string, and every later ``get_baggage()`` of that
trace raised ``TypeError`` (so outgoing requests silently carried no headers).
"""

import contextvars
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from scopetel_exporter_sentry.envelope import serialize_envelope

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event


class Order:
    def __str__(self) -> str:
        return "order #7"


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as capturing:
        yield capturing


def test_a_numeric_transaction_name_reaches_baggage_dsc_and_relay_as_text(
    transport: CapturingTransport,
) -> None:
    def scenario() -> str | None:
        with scopetel.start_transaction(name=12345, op=200, source=b"route"):
            baggage = scopetel.get_baggage()
            assert scopetel.get_baggage() == baggage  # asked again: the same, no TypeError
        scopetel.flush()
        return baggage

    baggage = contextvars.copy_context().run(scenario)
    assert baggage is not None and "sentry-transaction=12345" in baggage
    (envelope,) = transport.envelopes
    serialize_envelope(envelope)
    assert envelope.headers["trace"]["transaction"] == "12345"
    (transaction,) = transport.transactions()
    assert transaction["transaction"] == "12345"
    assert transaction["transaction_info"] == {"source": "route"}
    assert transaction["contexts"]["trace"]["op"] == "200"
    assert_valid_event(transaction)


def test_span_names_set_any_way_are_text(transport: CapturingTransport) -> None:
    def scenario() -> None:
        with scopetel.start_transaction(name="checkout") as transaction:
            with scopetel.start_span(op="db", name=Order()):  # type: ignore[arg-type]
                pass
            with scopetel.start_span(op="db", description=3.5) as span:  # type: ignore[arg-type]
                span.name = Order()  # type: ignore[assignment]
            child = transaction.start_child(op=["cache"], name=b"get")  # type: ignore[arg-type]
            child.description = 42  # type: ignore[assignment]
            child.finish()
            transaction.name = Order()  # type: ignore[assignment]
        scopetel.flush()

    contextvars.copy_context().run(scenario)
    (transaction,) = transport.transactions()
    assert transaction["transaction"] == "order #7"
    spans = sorted(transaction["spans"], key=lambda span: span["start_timestamp"])
    assert [span["description"] for span in spans] == ["order #7", "order #7", "42"]
    assert spans[2]["op"] == "['cache']"
    assert_valid_event(transaction)


def test_lone_surrogates_never_break_the_otlp_encoding(transport: CapturingTransport) -> None:
    """A lone surrogate in a span name fails the protobuf encoding of the whole OTLP
    batch (every span in it lost); names, ops and string data are made encodable."""
    bad = "a\ud800b"

    def scenario() -> list[scopetel.Span]:
        with scopetel.start_transaction(name=bad, op=bad) as transaction:
            with scopetel.start_span(op=bad, name=bad) as span:
                span.set_data("value", bad)
                span.set_tag("tag", bad)
        return [transaction, span]

    spans = contextvars.copy_context().run(scenario)
    encoded = encode_spans([span.otel_span for span in spans]).SerializeToString()  # type: ignore[misc]
    assert b"a\\ud800b" in encoded
