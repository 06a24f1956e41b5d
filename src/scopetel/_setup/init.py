"""The client and OpenTelemetry set-up of ``init()``: sampling, processors, flushing.

``scopetel._init.init`` resolves the options, calls :func:`configure`, then sets up
the integrations; the ``opentelemetry-instrument`` configurator goes through
:func:`configure` too, so both ways of starting scopetel behave the same.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

from opentelemetry import propagate  # a module: importable while it loads our propagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from scopetel_exporter_sentry.client_reports import DiscardReason
from scopetel_exporter_sentry.dsn import Dsn
from scopetel_exporter_sentry.transport import HttpTransport

from scopetel._api import add_known_breadcrumb
from scopetel._client import Client, get_client, set_client
from scopetel._coerce import wait_seconds
from scopetel._config import otel_env
from scopetel._config.options import Options
from scopetel._context.active_scopes import get_global_scope
from scopetel._fork_safety import ForkSafeLock, call_in_child
from scopetel._gc_phases import settle
from scopetel._internal_errors import guarded
from scopetel._pipeline.emitter import Emitter
from scopetel._pipeline.segments import Segment, SegmentProcessor
from scopetel._pipeline.span_breadcrumbs import SpanBreadcrumbs
from scopetel._pipeline.span_envelopes import StreamEmitter
from scopetel._pipeline.span_stream import SpanStreamProcessor, StreamedSpan
from scopetel._pipeline.transaction_events import TransactionEmitter
from scopetel._profiling import session as profiling
from scopetel._propagation.headers import SENTRY_TRACE_HEADER
from scopetel._propagation.targets import TargetFilter, Targets
from scopetel._semconv.naming import configure_naming
from scopetel._sessions import tracking as _sessions
from scopetel._setup import provider as _provider
from scopetel._setup.entry_points import ScopetelPropagator
from scopetel._setup.resource import resource_context, with_resource_defaults
from scopetel._setup.signal_providers import ensure_logger_provider, ensure_meter_provider
from scopetel._setup.spotlight import with_spotlight, with_spotlight_defaults
from scopetel._setup.startup_line import startup_line
from scopetel._signals import sinks as _signals
from scopetel._tracing.sampler import TracesSampler
from scopetel._version import CLIENT

LOGGER: Final = logging.getLogger("scopetel")
_lock = ForkSafeLock()
_atexit_registered = False
_emitter: Emitter[Segment] | Emitter[list[StreamedSpan]] | None = None
"""Builds and sends the active client's transactions (or streamed spans) off the thread
that ended them; ``flush()`` drains it."""


def configure(
    options: Options,
    *,
    resource: Resource | None = None,
    extra_processors: Sequence[SpanProcessor] = (),
    provider_factory: _provider.ProviderFactory | None = None,
    exporters: Sequence[str] = (),
) -> Client:
    """Make ``options`` active: a new client, sampler and processors (replacing any).

    The first call sets up the global TracerProvider (with ``provider_factory`` when
    given, see ``_provider.ensure``); its resource fills unset environment/release/
    server_name and becomes ``contexts.otel``. ``exporters`` only name what else the
    provider feeds, for the start-up line.
    """
    global _atexit_registered
    if options.debug:
        _enable_debug_logging()
    installed = _provider.ensure(resource, provider_factory, options.tracer_provider)
    options = _with_tracing_switch(with_resource_defaults(options, installed.provider.resource))
    options = with_spotlight_defaults(options)
    configure_naming(options.transaction_naming)
    transport = options.transport
    if transport is None and options.dsn:
        transport = http_transport(options)
    client = Client(options, with_spotlight(options, transport))
    _filter_outgoing_headers()
    processor, emitter = _processor(client, installed.provider)
    sampler = TracesSampler(
        options.traces_sample_rate,
        options.traces_sampler,
        on_root_dropped=lambda: _count_unsampled_root(client),
        count_client_roots=options.orphan_spans == "transactions",
    )
    _describe_resource()
    _sessions.on_configure(client)  # release health: the application session
    ensure_logger_provider(options, installed.provider.resource)
    ensure_meter_provider(installed.provider.resource)
    profile_links = profiling.configure(client)  # profiling: none unless configured
    global _emitter
    with _lock:
        old = set_client(client)
        old_emitter, _emitter = _emitter, emitter
        old_signals = _signals.start(client)  # logs and metrics: the new client's batches
        _provider.switch(
            sampler,
            [*profile_links, processor, SpanBreadcrumbs(add_known_breadcrumb), *extra_processors],
            timeout_s=min(options.shutdown_timeout, 2.0),
            drain_to=TransactionEmitter(client).emit,
        )
        if not _atexit_registered:
            atexit.register(shutdown)
            call_in_child(_describe_resource)
            _atexit_registered = True
    if old_signals is not None:
        old_signals.close()  # into the old client's transport, before it closes
    if old is not None:
        if old_emitter is not None:  # what the old client had to send, sent by it
            old_emitter.close(min(old.options.shutdown_timeout, 2.0))
        old.close(min(old.options.shutdown_timeout, 2.0))
    LOGGER.info("%s", startup_line(options, installed.sampler is not None, exporters))
    return client


def _count_unsampled_root(client: Client) -> None:
    """A root the sampler dropped: one transaction and its one span (the root; children
    of an unsampled root are never recorded), as sentry_sdk counts them."""
    client.record_lost("sample_rate", "transaction")
    client.record_lost("sample_rate", "span")


def _describe_resource() -> None:
    """``contexts.otel``: the provider's resource. Also in every forked child, after
    OpenTelemetry (1.44+) re-derived its process-dependent attributes there: each
    pre-fork worker reports its own ``service.instance.id`` and ``process.pid``."""
    provider = _provider.installed_provider()
    if provider is not None:
        get_global_scope().set_context("otel", resource_context(provider.resource))


def http_transport(options: Options) -> HttpTransport:
    """The transport to the DSN of ``options`` (which must have one)."""
    return HttpTransport(
        Dsn.parse(options.dsn or ""),
        client=CLIENT,
        max_queue_items=options.transport_queue_size,
        http_proxy=options.http_proxy,
        https_proxy=options.https_proxy,
        ca_certs=options.ca_certs,
        keep_alive=options.keep_alive,
    )


def _with_tracing_switch(options: Options) -> Options:
    """sentry_sdk's deprecated ``enable_tracing``: on means a rate of 1.0 if none is set,
    off means no tracing at all."""
    if options.enable_tracing is None:
        return options
    if not options.enable_tracing:
        return replace(options, traces_sample_rate=None, traces_sampler=None)
    if options.traces_sample_rate is None and options.traces_sampler is None:
        return replace(options, traces_sample_rate=1.0)
    return options


def _filter_outgoing_headers() -> None:
    """Wrap the global propagator once: the active client decides where headers go.

    Unless ``OTEL_PROPAGATORS`` chose the propagators, Sentry's ``sentry-trace`` and
    ``baggage`` are added to OpenTelemetry's defaults, as under ``opentelemetry-instrument``
    (and as sentry_sdk's integrations send them).
    """
    textmap = propagate.get_global_textmap()
    if isinstance(textmap, TargetFilter):
        return
    if SENTRY_TRACE_HEADER not in textmap.fields and otel_env.PROPAGATORS not in os.environ:
        textmap = CompositePropagator([textmap, ScopetelPropagator()])
    propagate.set_global_textmap(TargetFilter(textmap, _active_targets))


def _active_targets() -> Targets:
    client = get_client()
    return client.targets if client is not None else Targets()


def _processor(
    client: Client, provider: TracerProvider
) -> tuple[SpanProcessor, Emitter[Segment] | Emitter[list[StreamedSpan]]]:
    """Segments → transactions, or, with ``trace_lifecycle="stream"``, spans as they end;
    and the emitter that builds and sends them in the background."""
    options = client.options
    send_orphans = options.orphan_spans == "transactions"
    if options.trace_lifecycle == "stream":
        stream = StreamEmitter(client, lambda: provider.resource)
        spans = Emitter(stream.emit, _count_spans(client))
        return SpanStreamProcessor(spans.put, send_orphans=send_orphans), spans
    transactions = _transactions(client)
    processor = SegmentProcessor(
        sink=transactions.put,
        on_drop=client.record_lost,
        max_spans_per_segment=options.max_spans,
        late_children_timeout=options.late_children_timeout,
        send_orphans=send_orphans,
    )
    return processor, transactions


def _transactions(client: Client) -> Emitter[Segment]:
    def dropped(segment: Segment) -> None:
        client.record_lost(DiscardReason.QUEUE_OVERFLOW, "transaction")
        client.record_lost(DiscardReason.QUEUE_OVERFLOW, "span", len(segment.spans) + 1)

    return Emitter(TransactionEmitter(client).emit, dropped)


def _count_spans(client: Client) -> Callable[[list[StreamedSpan]], None]:
    def dropped(spans: list[StreamedSpan]) -> None:
        client.record_lost(DiscardReason.QUEUE_OVERFLOW, "span", len(spans))

    return dropped


@guarded(False)
def flush(timeout: float | None = None, callback: object = None) -> bool:
    """Send what is finished now; wait at most ``timeout`` seconds (default: shutdown_timeout)."""
    client = get_client()
    if client is None:
        return True
    timeout = wait_seconds(timeout, "flush timeout", client.options.shutdown_timeout)
    deadline = time.monotonic() + timeout
    profiling.flush()  # profiling: the chunk being filled
    settled = settle(max(0.0, deadline - time.monotonic()))  # deferred during a collection
    provider = _provider.installed_provider()
    if provider is not None:
        _provider_flush(max(0.0, deadline - time.monotonic()))
    emitter = _emitter
    if emitter is not None:  # the transactions that were ready, built and queued
        emitter.flush(max(0.0, deadline - time.monotonic()))
    _sessions.flush()  # release health: the aggregates counted so far
    _signals.flush()  # logs and metrics waiting in their batches
    return client.flush(max(0.0, deadline - time.monotonic())) and settled


def emitted(timeout: float) -> bool:
    """Wait (at most ``timeout`` seconds) until what the pipeline has ready is built and
    handed to the transport: what a synchronous pipeline would already have sent."""
    emitter = _emitter
    return True if emitter is None else emitter.flush(timeout)


def shutdown() -> None:
    """At exit: emit open segments, then close the transport, all within shutdown_timeout.

    Segments are emitted through user hooks (``before_send_transaction``, event
    processors), which may be slow: that runs in the emitter's thread, and whatever is
    not done by the deadline is counted as dropped or left to the transport's own
    accounting.
    """
    client = get_client()
    if client is None:
        return
    deadline = time.monotonic() + client.options.shutdown_timeout
    profiling.shutdown(client.options.shutdown_timeout / 2)  # profiling: the last chunk
    remaining = max(0.0, deadline - time.monotonic())
    done = _within(lambda: _provider_flush(0.0, final=True), remaining)
    emitter = _emitter
    if emitter is not None:  # built and handed to the transport before it closes
        done = emitter.close(max(0.0, deadline - time.monotonic())) and done
    if not done:
        LOGGER.warning("scopetel: shutdown_timeout expired while emitting open transactions")
    _sessions.on_shutdown()  # release health: the application session ends at exit
    _signals.flush()  # logs and metrics waiting in their batches
    client.close(max(0.0, deadline - time.monotonic()))


def _within(work: Callable[[], None], timeout: float) -> bool:
    """Run ``work`` in a daemon thread; True when it finished within ``timeout`` seconds."""
    thread = threading.Thread(target=work, name="scopetel-shutdown", daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive()


def _provider_flush(timeout: float, final: bool = False) -> None:
    processor = _provider.installed_processor()
    if processor is None:
        return
    if final:
        processor.shutdown_delegates()
    else:
        processor.force_flush(int(timeout * 1000))


def _enable_debug_logging() -> None:
    if not LOGGER.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[scopetel] %(levelname)s %(message)s"))
        LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)
