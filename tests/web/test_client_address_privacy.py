"""Client addresses (span attributes, CDN headers) leave the process only with send_default_pii."""

import contextvars
from collections.abc import Iterator
from typing import Any

from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

import scopetel
from scopetel._events.scrubber import scrub_event
from scopetel._semconv.personal_data import ADDRESS_ATTRIBUTES
from scopetel._web.info import RequestInfo
from scopetel._web.request_data import sentry_request
from scopetel.testing import capture_envelopes

WSGI_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.7",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "shop.example",
}


# -- 3. trace_lifecycle="stream": client addresses of server spans without PII -----------


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return iter([b"ok"])


def test_streamed_server_span_has_no_client_address_without_pii() -> None:
    app = ScopetelWSGIMiddleware(ContribWSGI(_wsgi_app))
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, trace_lifecycle="stream"
    ) as transport:

        def serve() -> None:
            body = app(dict(WSGI_ENVIRON), lambda *args: None)
            b"".join(body)
            body.close()  # type: ignore[attr-defined]

        contextvars.copy_context().run(serve)
        scopetel.flush()
    spans = [span for item in transport.items("span") for span in item.json()["items"]]
    assert spans, "no spans streamed"
    leaked = {
        key: value
        for span in spans
        for key, value in span["attributes"].items()
        if key in ADDRESS_ATTRIBUTES and value["value"] != "[Filtered]"
    }
    assert leaked == {}


# -- 4. Client-IP headers of CDNs and proxies are sent without PII ---------------------


def test_cdn_client_ip_headers_need_send_default_pii() -> None:
    environ = {
        **WSGI_ENVIRON,
        "HTTP_CF_CONNECTING_IP": "198.51.100.23",
        "HTTP_TRUE_CLIENT_IP": "198.51.100.24",
        "HTTP_X_CLIENT_IP": "198.51.100.25",
    }
    request = sentry_request(RequestInfo.from_environ(environ), pii=False, max_length=1024)
    sent = scrub_event({"request": request}, send_default_pii=False)["request"]
    assert not any("198.51.100." in value for value in sent["headers"].values())
    kept = scrub_event({"request": request}, send_default_pii=True)["request"]
    assert kept["headers"]["Cf-Connecting-Ip"] == "198.51.100.23"
