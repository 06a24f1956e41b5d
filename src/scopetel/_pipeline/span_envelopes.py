"""Streamed spans → Sentry envelopes of ``span`` items (span v2), like sentry-sdk's
``trace_lifecycle="stream"``.

One envelope per trace (its ``trace`` header is that trace's DSC) and per at most
``MAX_SPANS_PER_ITEM`` spans. Attributes common to every span of the process (SDK,
environment, release, the OpenTelemetry resource) are added to each span unless the
span has its own value.
"""

import platform
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from scopetel_exporter_sentry.envelope import Envelope, Item

from scopetel._client import Client, now_iso
from scopetel._config.options import Options
from scopetel._events.assembly import HOSTNAME
from scopetel._events.scrubber import Scrub
from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guarded
from scopetel._pipeline.mapping import to_span_v2, transaction_name_and_source, typed
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.span_stream import StreamedSpan
from scopetel._propagation.dsc import DynamicSamplingContext, dsc_for_root
from scopetel._version import SDK_NAME, VERSION

CONTENT_TYPE: Final = "application/vnd.sentry.items.span.v2+json"
MAX_SPANS_PER_ITEM: Final = 1000

Json = dict[str, Any]
DscFor = Callable[[CompactSpan, str], DynamicSamplingContext]
"""The DSC of a span's trace, given a span of it (its segment root if streamed) and
the segment's name."""


def common_attributes(options: Options, resource: Resource | None) -> dict[str, Json]:
    """Attributes every streamed span of this process carries."""
    result: dict[str, Json] = {}
    if resource is not None:
        result.update((key, typed(value)) for key, value in resource.attributes.items())
    result["sentry.sdk.name"] = typed(SDK_NAME)
    result["sentry.sdk.version"] = typed(VERSION)
    # as sentry-sdk's streamed spans: the interpreter and the host on every span
    result["process.runtime.name"] = typed(platform.python_implementation())
    result["process.runtime.version"] = typed(platform.python_version())
    result["server.address"] = typed(options.server_name or HOSTNAME)
    if options.environment:
        result["sentry.environment"] = typed(options.environment)
    if options.release:
        result["sentry.release"] = typed(options.release)
    return result


def _segment_attributes(integrations: Sequence[str]) -> dict[str, Json]:
    found = {
        "sentry.platform": typed("python"),
        "process.command_args": typed([str(arg) for arg in sys.argv]),
    }
    if integrations:
        found["sentry.sdk.integrations"] = typed(list(integrations))
    return found


def span_envelopes(
    spans: Sequence[StreamedSpan],
    dsc_for: DscFor,
    common: Mapping[str, Json],
    *,
    send_default_pii: bool = False,
    integrations: Sequence[str] = (),
) -> list[Envelope]:
    """Envelopes carrying ``spans``: grouped by trace, at most 1000 spans per item.
    Segments also name the process's ``integrations`` (``sentry.sdk.integrations``).

    Attributes are scrubbed like transactions' span data: secrets always, and without
    ``send_default_pii`` the client addresses web instrumentations record
    (``client.address``, ``net.peer.ip`` …).
    """
    by_trace: dict[int, list[StreamedSpan]] = {}
    for streamed in spans:
        by_trace.setdefault(streamed[0].trace_id, []).append(streamed)
    envelopes: list[Envelope] = []
    for group in by_trace.values():
        head = next((s for s in group if s[0].span_id == s[1]), group[0])
        dsc = dsc_for(head[0], head[2])
        for start in range(0, len(group), MAX_SPANS_PER_ITEM):
            chunk = group[start : start + MAX_SPANS_PER_ITEM]
            segment = _segment_attributes(integrations)
            envelopes.append(_envelope(chunk, dsc, common, segment, send_default_pii))
    return envelopes


def _envelope(
    chunk: Iterable[StreamedSpan],
    dsc: DynamicSamplingContext,
    common: Mapping[str, Json],
    segment: Mapping[str, Json],
    send_default_pii: bool,
) -> Envelope:
    entries: list[Json] = []
    scrub = Scrub(send_default_pii)
    for span, segment_id, segment_name in chunk:
        entry = to_span_v2(span, segment_id, segment_name)
        attributes = entry["attributes"]
        for key, attribute in attributes.items():
            value = attribute["value"]
            clean = scrub.attribute(key, value)
            if clean is not value:
                attributes[key] = typed(clean)
        for key, value in common.items():
            attributes.setdefault(key, value)
        if span.span_id == segment_id:  # what sentry-sdk tells on segments only
            for key, value in segment.items():
                attributes.setdefault(key, value)
        entries.append(entry)
    payload = {"version": 2, "items": entries}
    item = Item.from_json("span", payload, content_type=CONTENT_TYPE, item_count=len(entries))
    headers: Json = {"sent_at": now_iso(), "trace": dsc.to_envelope_header()}
    return Envelope(headers, [item])


def root_dsc(span: CompactSpan, segment_name: str, options: Options) -> DynamicSamplingContext:
    """The DSC this service gives a trace, seen from a span of it (its root if streamed)."""
    return dsc_for_root(
        span.trace_id,
        options=options,
        attributes=span.attributes,
        name=segment_name,
        source=transaction_name_and_source(span)[1] if span.is_local_root else None,
        sampled=True,
    )


class StreamEmitter:
    """The sink of ``SpanStreamProcessor`` in ``trace_lifecycle="stream"`` mode."""

    def __init__(self, client: Client, resource_of: Callable[[], Resource | None]) -> None:
        self._client = client
        self._resource_of = resource_of
        self._common: dict[str, Json] = {}
        self._describe_process()
        reset_in_child(self._describe_process)

    def _describe_process(self) -> None:
        """The attributes common to this process's spans; again in a forked child, whose
        resource OpenTelemetry re-derives (``service.instance.id``)."""
        common = common_attributes(self._client.options, self._resource_of())
        common["sentry.trace_lifecycle"] = typed("stream")
        self._common = common

    @guarded(None)
    def emit(self, spans: list[StreamedSpan]) -> None:
        if not self._client.sending:
            return
        client = self._client
        for envelope in span_envelopes(
            spans,
            self._dsc,
            self._common,
            send_default_pii=client.options.send_default_pii,
            integrations=client.integration_names,
        ):
            client.send(envelope)

    def _dsc(self, span: CompactSpan, segment_name: str) -> DynamicSamplingContext:
        """The trace's frozen DSC (received with it, or first propagated), else ours."""
        client = self._client
        return client.frozen_dscs.freeze(
            span.trace_id, lambda: root_dsc(span, segment_name, client.options)
        )
