"""OTLP (and any other exporter) gets spans scrubbed as Sentry's are.

A collector has no scrubber of its own: ``PrivateSpanExporter`` wraps an exporter and
hands it, for each span whose attributes, events, links or status description hold a
secret (or, without ``send_default_pii``, personal data), a scrubbed copy: the same
ids, times, resource, scope and dropped counts, the same vocabulary as Sentry's
(``Scrub``). The live span is never touched; a span with nothing to scrub is
passed on as it is. The scrubbing runs in the export thread (``BatchSpanProcessor``'s
worker), not in the application's.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, Status
from opentelemetry.util.types import AttributeValue

from scopetel._client import get_client
from scopetel._events.scrubber import Scrub
from scopetel._internal_errors import report_internal_error
from scopetel._semconv.profile_link import with_link
from scopetel._trace_sdk.span import RecordingSpan

ExportProcessorFactory = Callable[..., SpanProcessor]


def _send_default_pii() -> bool:
    client = get_client()
    return bool(client is not None and client.options.send_default_pii)


class PrivateSpanExporter(SpanExporter):
    """Wraps ``exporter``: every span it gets is scrubbed first.

    ``send_default_pii``: a fixed choice, or (default) the active scopetel client's
    option, read at each export so that a later ``init()`` counts.
    """

    def __init__(
        self, exporter: SpanExporter, send_default_pii: bool | Callable[[], bool] | None = None
    ) -> None:
        self.exporter = exporter
        if send_default_pii is None:
            self._pii: Callable[[], bool] = _send_default_pii
        elif callable(send_default_pii):
            self._pii = send_default_pii
        else:
            fixed = bool(send_default_pii)
            self._pii = lambda: fixed

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        scrub = Scrub(self._pii())
        safe: list[ReadableSpan] = []
        for span in spans:
            try:
                safe.append(private_span(span, scrub))
            except Exception:  # never export what could not be scrubbed
                report_internal_error("PrivateSpanExporter")
        return self.exporter.export(safe)

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def private_export_processor(
    factory: ExportProcessorFactory | None = None,
) -> ExportProcessorFactory:
    """What the SDK configurator calls to wrap each exporter it builds in a processor
    (its ``export_span_processor``): ``factory`` (default ``BatchSpanProcessor``) over
    a ``PrivateSpanExporter``."""
    build: ExportProcessorFactory = factory or BatchSpanProcessor

    def processor(exporter: SpanExporter, *args: Any, **kwargs: Any) -> SpanProcessor:
        return build(PrivateSpanExporter(exporter), *args, **kwargs)

    return processor


def private_span(span: ReadableSpan, scrub: Scrub) -> ReadableSpan:
    """``span`` itself when nothing in it is private, else a scrubbed copy."""
    own = span.attributes or _EMPTY
    # a root's link to the profile goes out as the attributes it stands for (a copy)
    attributes = with_link(own, span.profile_link) if isinstance(span, RecordingSpan) else own
    clean = scrub.attributes(attributes)
    events = [_private_event(event, scrub) for event in span.events]
    links = [_private_link(link, scrub) for link in span.links]
    status = span.status
    description = status.description
    clean_description = scrub.text(description) if description else description
    if (
        clean is own
        and clean_description is description
        and all(new is old for new, old in zip(events, span.events, strict=True))
        and all(new is old for new, old in zip(links, span.links, strict=True))
    ):
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_bounded(clean, span.dropped_attributes),
        events=_bounded_list(events, span.dropped_events),
        links=_bounded_list(links, span.dropped_links),
        kind=span.kind,
        status=Status(status.status_code, clean_description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


_EMPTY: Final[Mapping[str, AttributeValue]] = {}


def _bounded(attributes: Mapping[str, AttributeValue], dropped: int) -> BoundedAttributes:
    result = BoundedAttributes(maxlen=None, attributes=attributes, immutable=True)
    result.dropped = dropped
    return result


def _bounded_list(items: list[Any], dropped: int) -> BoundedList[Any]:
    result = BoundedList.from_seq(None, items)
    result.dropped = dropped
    return result


def _private_event(event: Event, scrub: Scrub) -> Event:
    attributes = event.attributes or _EMPTY
    clean = scrub.attributes(attributes)
    if clean is attributes:
        return event
    return Event(event.name, _bounded(clean, event.dropped_attributes), event.timestamp)


def _private_link(link: Link, scrub: Scrub) -> Link:
    attributes = link.attributes or _EMPTY
    clean = scrub.attributes(attributes)
    if clean is attributes:
        return link
    return Link(link.context, _bounded(clean, link.dropped_attributes))
