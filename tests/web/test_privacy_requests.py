"""What a request's events and transaction carry with default options (issue 12, 1, 2, 4):
no credential, token, client address, card number or password, in request data, frame
variables, span data or the trace context; with ``send_default_pii`` the addresses, never
the secrets. Every event is Relay-valid."""

from __future__ import annotations

import contextvars
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

CARD = "4242424242424242"
PASSWORD = "hunter2-pw"
EMAIL = "alice@example.com"
CLIENT_IPS = ("198.51.100.71", "198.51.100.72", "198.51.100.73", "203.0.113.74")
CREDENTIALS = {
    "Authorization": "Bearer auth-4d9f2c7e1a",
    "Proxy-Authorization": "Basic cHJveHk6cHJveHktcGFzcw==",
    "Cookie": "sessionid=cookie-8b3e6f0d; csrftoken=csrf-5a1c9e2b",
    "X-Api-Key": "apikey-7c2e9d4f1b",
    "X-Access-Token": "access-3f8a1d6c9e",
    "X-Session-Id": "session-6e2b9f4a1d",
    "X-Refresh-Token": "refresh-1d7c3a9e5f",
    "X-Secret": "secret-9a4e2c7b3d",
}
ADDRESSES = {
    "X-Forwarded-For": f"{CLIENT_IPS[0]}, 10.0.0.1",
    "X-Real-Ip": CLIENT_IPS[1],
    "Forwarded": f"for={CLIENT_IPS[2]};proto=https",
}
PSP_KEY = "psp-key-2b7d"
PSP_TOKEN = "psp-token-9c1e"
QUERY = f"card={CARD}&password={PASSWORD}&email={EMAIL.replace('@', '%40')}&q=shoes"
SECRETS = [
    CARD,
    PASSWORD,
    EMAIL,
    "alice%40example.com",
    *(value.split()[-1] for value in CREDENTIALS.values()),
    "cookie-8b3e6f0d",
    "csrf-5a1c9e2b",
]


def _environ(query: str = QUERY, body: bytes = b"") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST" if body else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/pay",
        "QUERY_STRING": query,
        "SERVER_NAME": "shop.example",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT_IPS[3],
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "shop.example",
        "HTTP_USER_AGENT": "privacy-tests",
    }
    for name, value in {**ADDRESSES, **CREDENTIALS}.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    # a frame variable shows a dict's first 10 entries (as sentry_sdk): the checked ones
    return {**{key: environ[key] for key in SHOWN}, **environ}


SHOWN = (
    *("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_API_KEY"),
    *("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"),
    *("HTTP_USER_AGENT", "QUERY_STRING"),
)


def _paying_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    """A view whose locals hold what the request carried, parsed, then fails."""
    form = parse_qs(environ["wsgi.input"].read().decode())
    query = parse_qs(environ["QUERY_STRING"])
    card = query["card"][0]
    password = query["password"][0]  # noqa: F841 - locals the event shows
    email = query["email"][0]  # noqa: F841
    client = environ["HTTP_X_FORWARDED_FOR"]  # noqa: F841 - an address under a neutral name
    note = f"paid with {form.get('card_number', ['-'])[0]}"  # noqa: F841
    with scopetel.start_span(op="http.client", name="charge") as span:
        span.set_data("url.full", f"https://psp.example/charge?card={card}&amount=42")
        span.set_data("http.target", f"/charge?api_key={PSP_KEY}&cvv=123&amount=42")
        span.set_data("url.query", f"token={PSP_TOKEN}&amount=42")
    raise RuntimeError("payment failed")


def _serve(app: Any, environ: dict[str, Any]) -> None:
    def run() -> None:
        try:
            body = app(environ, lambda *args: None)
            b"".join(body)
            body.close()
        except RuntimeError:
            pass

    contextvars.copy_context().run(run)


def _payloads(transport: CapturingTransport) -> list[dict[str, Any]]:
    scopetel.flush()
    payloads = transport.events() + transport.transactions()
    assert {p.get("type", "event") for p in payloads} == {"event", "transaction"}
    for payload in payloads:
        assert_valid_event(payload)
    return payloads


@pytest.fixture(params=["alone", "contrib"])
def app(request: pytest.FixtureRequest) -> Any:
    return ScopetelWSGIMiddleware(
        ContribWSGI(_paying_app) if request.param == "contrib" else _paying_app
    )


def _leaks(payloads: list[dict[str, Any]], secrets: list[str]) -> list[str]:
    text = json.dumps(payloads)
    return [secret for secret in secrets if secret in text]


def test_nothing_private_leaves_with_default_options(app: Any) -> None:
    body = f"card_number={CARD[:4]}+{CARD[4:8]}+{CARD[8:12]}+{CARD[12:]}&password={PASSWORD}"
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        _serve(app, _environ(body=body.encode()))
        payloads = _payloads(transport)
    secrets = [*SECRETS, *CLIENT_IPS, PSP_KEY, PSP_TOKEN, "4242 4242"]
    assert _leaks(payloads, secrets) == []
    (event,) = transport.events()
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    view = frames[-1]["vars"]
    assert (view["card"], view["password"], view["email"]) == ("[Filtered]",) * 3
    assert view["note"] == "'paid with [Filtered]'"
    assert view["client"] == "'[Filtered], [Filtered]'"  # addresses by value, in frames
    assert view["query"]["q"] == ["'shoes'"]  # what is not private stays
    environ = view["environ"]
    for key in (
        *("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_API_KEY"),
        *("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"),
    ):
        assert environ[key] == "[Filtered]", key
    assert environ["HTTP_USER_AGENT"] == "'privacy-tests'"
    assert environ["QUERY_STRING"] == (
        "'card=[Filtered]&password=[Filtered]&email=[Filtered]&q=shoes'"
    )


def test_request_headers_and_query_are_scrubbed_in_events_and_transactions(app: Any) -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        _serve(app, _environ())
        payloads = _payloads(transport)
    for payload in payloads:
        request = payload["request"]
        headers = request["headers"]
        for name in (*CREDENTIALS, *ADDRESSES):
            assert headers[name] == "[Filtered]", (payload.get("type"), name)
        assert headers["User-Agent"] == "privacy-tests"
        assert request["query_string"] == (
            "card=[Filtered]&password=[Filtered]&email=[Filtered]&q=shoes"
        )
    (transaction,) = transport.transactions()
    trace_data = transaction["contexts"]["trace"]["data"]
    # url.query (scopetel's server span) or http.url (contrib's, older conventions)
    query = trace_data.get("url.query") or trace_data["http.url"].partition("?")[2]
    assert query == "card=[Filtered]&password=[Filtered]&email=[Filtered]&q=shoes"
    (charge,) = [span for span in transaction["spans"] if span["description"] == "charge"]
    assert charge["data"]["url.full"] == "https://psp.example/charge?card=[Filtered]&amount=42"
    assert charge["data"]["http.target"] == "/charge?api_key=[Filtered]&cvv=[Filtered]&amount=42"
    assert charge["data"]["url.query"] == "token=[Filtered]&amount=42"


def test_with_send_default_pii_addresses_are_sent_and_secrets_still_are_not(app: Any) -> None:
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, send_default_pii=True
    ) as transport:
        _serve(app, _environ())
        payloads = _payloads(transport)
    secrets = [CARD, PASSWORD, *(value.split()[-1] for value in CREDENTIALS.values())]
    assert _leaks(payloads, secrets) == []
    (event,) = transport.events()
    assert event["request"]["headers"]["X-Real-Ip"] == CLIENT_IPS[1]
    # as sentry_sdk: env names the TCP peer, user.ip_address the first forwarded hop
    assert event["request"]["env"] == {
        "SERVER_NAME": "shop.example",
        "SERVER_PORT": "443",
        "REMOTE_ADDR": CLIENT_IPS[3],
    }
    assert event["user"]["ip_address"] == CLIENT_IPS[0]
    assert event["request"]["cookies"] == {"sessionid": "[Filtered]", "csrftoken": "[Filtered]"}
    assert "email=alice%40example.com" in event["request"]["query_string"]
    view = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]
    assert view["environ"]["REMOTE_ADDR"] == f"'{CLIENT_IPS[3]}'"
    assert view["environ"]["HTTP_AUTHORIZATION"] == "[Filtered]"
    assert view["client"] == f"'{ADDRESSES['X-Forwarded-For']}'"


def test_streamed_spans_are_scrubbed_like_transactions() -> None:
    app = ScopetelWSGIMiddleware(ContribWSGI(_paying_app))
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, trace_lifecycle="stream"
    ) as transport:
        _serve(app, _environ())
        scopetel.flush()
    spans = [span for item in transport.items("span") for span in item.json()["items"]]
    assert len(spans) == 2
    assert _leaks(spans, [*SECRETS, *CLIENT_IPS, PSP_KEY, PSP_TOKEN]) == []
    (charge,) = [span for span in spans if span["name"] == "charge"]
    assert charge["attributes"]["url.query"] == {
        "type": "string",
        "value": "token=[Filtered]&amount=42",
    }
