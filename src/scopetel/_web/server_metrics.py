"""HTTP server metrics of the requests whose server span scopetel starts itself.

OpenTelemetry's stable HTTP conventions: ``http.server.request.duration`` (a histogram,
in seconds, with the conventions' bucket boundaries) and ``http.server.active_requests``
(an up-down counter). A request whose span another instrumentation made (contrib's
Django, ASGI or FastAPI middleware, which record their own metrics) is not counted
here, so nothing is counted twice.

The instruments come from the global ``MeterProvider`` through OpenTelemetry's API: with
none configured (``OTEL_METRICS_EXPORTER=none``, scopetel's default) recording is a no-op
call, and a provider set later (``OTEL_METRICS_EXPORTER=otlp``, or the application's
own) receives them from then on.
"""

import time
from typing import Final

from opentelemetry import metrics
from opentelemetry.util.types import AttributeValue

from scopetel._internal_errors import guarded
from scopetel._web.attributes import method_attributes
from scopetel._web.info import RequestInfo

METER_NAME: Final = "scopetel.web"
DURATION: Final = "http.server.request.duration"
ACTIVE: Final = "http.server.active_requests"
DURATION_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
)  # fmt: skip
"""The conventions' advice for ``http.server.request.duration`` (seconds)."""

_meter = metrics.get_meter(METER_NAME)
_duration = _meter.create_histogram(
    DURATION,
    unit="s",
    description="Duration of HTTP server requests.",
    explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
)
_active = _meter.create_up_down_counter(
    ACTIVE, unit="{request}", description="Number of active HTTP server requests."
)


class RequestMeter:
    """The metrics of one request: active from :meth:`started` to :meth:`finished`
    (once each; sampled or not, as metrics count every request)."""

    __slots__ = ("_active_attributes", "_info", "_start")

    def __init__(self, info: RequestInfo) -> None:
        self._info = info
        self._start = 0.0
        self._active_attributes: dict[str, AttributeValue] = {}

    @guarded(None)
    def started(self) -> None:
        self._start = time.perf_counter()
        attributes = method_attributes(self._info.method)
        attributes.pop("http.request.method_original", None)
        attributes["url.scheme"] = self._info.scheme
        self._active_attributes = attributes
        _active.add(1, attributes)

    @guarded(None)
    def finished(
        self, route: str | None, status_code: int | None, error: BaseException | None
    ) -> None:
        elapsed = time.perf_counter() - self._start
        _active.add(-1, self._active_attributes)
        attributes = dict(self._active_attributes)
        if route:
            attributes["http.route"] = route
        if status_code is None and error is not None:
            status_code = 500  # no response started: the server answers 500
        if status_code is not None:
            attributes["http.response.status_code"] = status_code
        if self._info.protocol:
            attributes["network.protocol.version"] = self._info.protocol
        kind = error_type(error, status_code)
        if kind is not None:
            attributes["error.type"] = kind
        _duration.record(elapsed, attributes)


def error_type(error: BaseException | None, status_code: int | None) -> str | None:
    """``error.type``: the exception's class (qualified), else a 5xx status code."""
    if error is not None:
        kind = type(error)
        if kind.__module__ == "builtins":
            return kind.__qualname__
        return f"{kind.__module__}.{kind.__qualname__}"
    if status_code is not None and status_code >= 500:
        return str(status_code)
    return None
