"""A tracer provider for the contrib instrumentations that integrations enable.

sentry_sdk's integrations record a client call (HTTP, SQL, redis, a task sent) as a
span only inside a transaction; outside one they record nothing. OpenTelemetry's
contrib instrumentations start a span regardless, and a span with no local parent
would become a one-span transaction of its own (an idle worker polling redis would
send one a second). Instrumentations enabled by an integration get this provider:
their SERVER and CONSUMER spans (entry points: a request, a task) are started as
usual, any other span only under a local parent; otherwise a non-recording span
stands in, so nested instrumentations record nothing either.

Under ``opentelemetry-instrument`` the instrumentations loaded by OpenTelemetry keep
the global provider: nothing changes there.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanKind, Tracer, TracerProvider
from opentelemetry.util.types import Attributes

ENTRY_KINDS = frozenset({SpanKind.SERVER, SpanKind.CONSUMER})


def has_local_parent(context: Context | None) -> bool:
    parent = otel_trace.get_current_span(context).get_span_context()
    return parent.is_valid and not parent.is_remote


class EntrySpanTracer(Tracer):
    """Delegates to the global provider's tracer; see the module docstring."""

    def __init__(self, name: str, version: str | None, schema_url: str | None, attributes: Any):
        self._args = (name, version, schema_url, attributes)
        self._tracer: Tracer | None = None

    def _delegate(self) -> Tracer:
        # Resolved on first use: the global provider may be set after instrumenting.
        if self._tracer is None:
            name, version, schema_url, attributes = self._args
            provider = otel_trace.get_tracer_provider()
            self._tracer = provider.get_tracer(name, version, schema_url, attributes)
        return self._tracer

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        *args: Any,
        **kwargs: Any,
    ) -> Span:
        if kind not in ENTRY_KINDS and not has_local_parent(context):
            return INVALID_SPAN
        return self._delegate().start_span(name, context, kind, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = self.start_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )
        with otel_trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current


class EntrySpanTracerProvider(TracerProvider):
    """Hands out :class:`EntrySpanTracer` objects over the global tracer provider."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> Tracer:
        return EntrySpanTracer(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes
        )


ENTRY_SPAN_PROVIDER = EntrySpanTracerProvider()
