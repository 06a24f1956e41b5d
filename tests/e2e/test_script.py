"""``opentelemetry-instrument python app.py``: Sentry and OTLP receive the same spans;
outgoing calls carry both header families; incoming headers are continued."""

import json
from typing import Any

import pytest

from tests.e2e.harness import HeaderServer, app_env, run_script
from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver, OtlpSpan
from tests.support.sentry_receiver import SentryReceiver

INCOMING_TRACE = "771a43a4192642f0b136d5159a501700"
INCOMING_SPAN = "b7ad6b7169203331"
INCOMING_BAGGAGE = (
    f"sentry-trace_id={INCOMING_TRACE},sentry-public_key=upstream,sentry-sample_rate=1.0,"
    "sentry-sample_rand=0.123456,sentry-sampled=true,sentry-release=upstream%401,"
    "other=keep"
)


def _run(config: dict[str, Any], **env: str) -> dict[str, str]:
    result = run_script("script_app.py", json.dumps(config), env=app_env(**env))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "app done" in result.stdout
    ids: dict[str, str] = json.loads(result.stdout.splitlines()[0])
    return ids


def _sentry_span_ids(transaction: dict[str, Any]) -> set[str]:
    ids = {span["span_id"] for span in transaction["spans"]}
    return ids | {transaction["contexts"]["trace"]["span_id"]}


def _otlp_by_id(spans: list[OtlpSpan]) -> dict[str, OtlpSpan]:
    return {span.span_id: span for span in spans}


def _check_outgoing(headers: HeaderServer, transaction: dict[str, Any]) -> None:
    """Each call carries traceparent and sentry-trace naming the same client span."""
    client_spans = {span["span_id"]: span for span in transaction["spans"]}
    trace_id = transaction["contexts"]["trace"]["trace_id"]
    for path in ("/requests", "/httpx", "/urllib3"):
        sent = headers.headers_for(path)
        _, w3c_trace, w3c_span, flags = sent["traceparent"].split("-")
        sentry_trace, sentry_span, sampled = sent["sentry-trace"].split("-")
        assert (w3c_trace, w3c_span) == (trace_id, sentry_span)
        assert int(flags, 16) & 1  # sampled (0x02 is W3C level 2's "random trace id")
        assert (sentry_trace, sampled) == (trace_id, "1")
        assert client_spans[w3c_span]["op"] == "http.client"
        entries = dict(entry.split("=", 1) for entry in sent["baggage"].split(","))
        assert entries["tenant"] == "acme"
        assert entries["sentry-trace_id"] == trace_id


def test_sentry_and_otlp_http_get_the_same_spans(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver, headers: HeaderServer
) -> None:
    ids = _run(
        {"calls_to": headers.url, "error": True},
        SENTRY_DSN=sentry.dsn,
        SENTRY_ENVIRONMENT="e2e",
        OTEL_SERVICE_NAME="shop",
        OTEL_RESOURCE_ATTRIBUTES="service.version=shop@2.0",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
    )
    sentry.wait_for(lambda: sentry.transactions() and sentry.events())
    (transaction,) = sentry.transactions()
    (event,) = sentry.events()
    assert transaction["transaction"] == "GET /checkout"
    assert transaction["contexts"]["trace"]["trace_id"] == ids["trace_id"]
    assert transaction["contexts"]["trace"]["span_id"] == ids["span_id"]
    assert transaction["environment"] == event["environment"] == "e2e"
    assert transaction["release"] == event["release"] == "shop@2.0"  # from service.version
    resource = transaction["contexts"]["otel"]["resource"]
    assert resource["service.name"] == "shop"
    assert event["contexts"]["otel"]["resource"]["service.name"] == "shop"
    assert event["contexts"]["trace"]["trace_id"] == ids["trace_id"]
    assert len(transaction["spans"]) == 3
    _check_outgoing(headers, transaction)

    expected = _sentry_span_ids(transaction)
    otlp.wait_for(lambda: expected <= set(_otlp_by_id(otlp.spans())))
    spans = _otlp_by_id(otlp.spans())
    assert set(spans) == expected
    assert {span.trace_id for span in spans.values()} == {ids["trace_id"]}
    assert {span.transport for span in spans.values()} == {"http/protobuf"}
    for sentry_span in transaction["spans"]:
        assert spans[sentry_span["span_id"]].parent_span_id == sentry_span["parent_span_id"]
    assert spans[ids["span_id"]].resource["service.name"] == "shop"


def test_incoming_sentry_headers_are_continued_and_baggage_kept(
    sentry: SentryReceiver, headers: HeaderServer
) -> None:
    incoming = {"sentry-trace": f"{INCOMING_TRACE}-{INCOMING_SPAN}-1", "baggage": INCOMING_BAGGAGE}
    ids = _run({"calls_to": headers.url, "incoming": incoming}, SENTRY_DSN=sentry.dsn)
    assert ids["trace_id"] == INCOMING_TRACE
    sentry.wait_for(lambda: sentry.transactions())
    (transaction,) = sentry.transactions()
    assert transaction["contexts"]["trace"]["parent_span_id"] == INCOMING_SPAN
    (envelope,) = [e for e in sentry.envelopes if e.items[0].type == "transaction"]
    assert envelope.headers["trace"]["public_key"] == "upstream"  # the head's DSC, unchanged
    assert envelope.headers["trace"]["sample_rand"] == "0.123456"
    _check_outgoing(headers, transaction)
    entries = dict(e.split("=", 1) for e in headers.headers_for("/requests")["baggage"].split(","))
    assert entries["other"] == "keep"
    assert entries["sentry-public_key"] == "upstream"
    assert entries["sentry-release"] == "upstream%401"


def test_incoming_w3c_headers_are_continued(sentry: SentryReceiver) -> None:
    incoming = {"traceparent": f"00-{INCOMING_TRACE}-{INCOMING_SPAN}-01", "baggage": "other=keep"}
    ids = _run({"incoming": incoming}, SENTRY_DSN=sentry.dsn)
    assert ids["trace_id"] == INCOMING_TRACE
    sentry.wait_for(lambda: sentry.transactions())
    (transaction,) = sentry.transactions()
    assert transaction["contexts"]["trace"]["parent_span_id"] == INCOMING_SPAN


def test_grpc_exporter_gets_the_same_spans(
    sentry: SentryReceiver, otlp_grpc: OtlpGrpcReceiver
) -> None:
    ids = _run(
        {},
        SENTRY_DSN=sentry.dsn,
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_grpc.url,
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_INSECURE="true",
    )
    sentry.wait_for(lambda: sentry.transactions())
    (transaction,) = sentry.transactions()
    otlp_grpc.wait_for(lambda: otlp_grpc.spans())
    (span,) = otlp_grpc.spans()
    assert (span.trace_id, span.span_id) == (ids["trace_id"], ids["span_id"])
    assert transaction["contexts"]["trace"]["span_id"] == span.span_id
    assert span.transport == "grpc"


@pytest.mark.parametrize("lifecycle", ["stream"])
def test_stream_lifecycle_sends_span_envelopes(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver, headers: HeaderServer, lifecycle: str
) -> None:
    ids = _run(
        {"calls_to": headers.url},
        SENTRY_DSN=sentry.dsn,
        SENTRY_TRACE_LIFECYCLE=lifecycle,
        SENTRY_RELEASE="shop@3",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
    )
    sentry.wait_for(lambda: len(_streamed(sentry)) == 4)
    streamed = {span["span_id"]: span for span in _streamed(sentry)}
    assert sentry.transactions() == []
    root = streamed[ids["span_id"]]
    assert root["is_segment"] and root["name"] == "GET /checkout"
    for span in streamed.values():
        assert span["trace_id"] == ids["trace_id"]
        assert span["attributes"]["sentry.segment.id"]["value"] == ids["span_id"]
        assert span["attributes"]["sentry.release"]["value"] == "shop@3"
    (item,) = {item.headers["content_type"] for item in sentry.items("span")}
    assert item == "application/vnd.sentry.items.span.v2+json"
    otlp.wait_for(lambda: len(otlp.spans()) == 4)
    assert {span.span_id for span in otlp.spans()} == set(streamed)


def _streamed(sentry: SentryReceiver) -> list[dict[str, Any]]:
    return [entry for item in sentry.items("span") for entry in item.json["items"]]


def test_disabled_instrumentations_are_not_loaded(
    sentry: SentryReceiver, headers: HeaderServer
) -> None:
    _run(
        {"calls_to": headers.url},
        SENTRY_DSN=sentry.dsn,
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="requests,urllib3",
    )
    assert "traceparent" not in headers.headers_for("/requests")
    assert "sentry-trace" not in headers.headers_for("/urllib3")
    assert "sentry-trace" in headers.headers_for("/httpx")
    sentry.wait_for(lambda: sentry.transactions())
    (transaction,) = sentry.transactions()
    (span,) = transaction["spans"]
    assert span["description"] == f"GET {headers.url}/httpx"
