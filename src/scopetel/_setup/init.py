"""``init()``: resolve options, create the client, install sampling and processors.

The ``opentelemetry-instrument`` configurator goes through :func:`configure` too, so
both ways of starting scopetel behave the same.
"""

import atexit
import logging
import threading
from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor
from scopetel_exporter_sentry.dsn import Dsn
from scopetel_exporter_sentry.transport import HttpTransport

from scopetel._client import Client, get_client, set_client
from scopetel._coerce import wait_seconds
from scopetel._config.options import Options
from scopetel._config.resolution import resolve
from scopetel._context.active_scopes import get_global_scope
from scopetel._internal_errors import guarded
from scopetel._pipeline.segments import SegmentProcessor
from scopetel._pipeline.span_envelopes import StreamEmitter
from scopetel._pipeline.span_stream import SpanStreamProcessor
from scopetel._pipeline.transaction_events import TransactionEmitter
from scopetel._setup import provider as _provider
from scopetel._setup.integrations import instrument_defaults
from scopetel._setup.resource import resource_context, with_resource_defaults
from scopetel._setup.startup_line import startup_line
from scopetel._tracing.sampler import TracesSampler
from scopetel._version import CLIENT

LOGGER: Final = logging.getLogger("scopetel")
_lock = threading.Lock()
_atexit_registered = False


def init(dsn: str | None = None, **kwargs: Any) -> None:
    """Start scopetel; keyword arguments override ``SENTRY_*`` variables (see README)."""
    options = resolve(kwargs, dsn=dsn)
    configure(options)
    if options.default_integrations:
        enabled = instrument_defaults(options.disabled_integrations)
        LOGGER.debug("scopetel: instrumentors enabled: %s", ", ".join(enabled) or "none")


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
    installed = _provider.ensure(resource, provider_factory)
    options = with_resource_defaults(options, installed.provider.resource)
    transport = options.transport
    if transport is None and options.dsn:
        transport = HttpTransport(
            Dsn.parse(options.dsn), client=CLIENT, max_queue_items=options.transport_queue_size
        )
    client = Client(options, transport)
    processor = _processor(client, installed.provider.resource)
    sampler = TracesSampler(
        options.traces_sample_rate,
        options.traces_sampler,
        on_root_dropped=lambda: client.record_lost("sample_rate", "transaction"),
    )
    get_global_scope().set_context("otel", resource_context(installed.provider.resource))
    with _lock:
        old = set_client(client)
        _provider.switch(
            sampler,
            [processor, *extra_processors],
            timeout_s=min(options.shutdown_timeout, 2.0),
            drain_to=TransactionEmitter(client).emit,
        )
        if not _atexit_registered:
            atexit.register(shutdown)
            _atexit_registered = True
    if old is not None:
        old.close(min(old.options.shutdown_timeout, 2.0))
    LOGGER.info("%s", startup_line(options, installed.sampler is not None, exporters))
    return client


def _processor(client: Client, resource: Resource) -> SpanProcessor:
    """Segments → transactions, or, with ``trace_lifecycle="stream"``, spans as they end."""
    options = client.options
    if options.trace_lifecycle == "stream":
        return SpanStreamProcessor(StreamEmitter(client, resource).emit)
    return SegmentProcessor(
        sink=TransactionEmitter(client).emit,
        on_drop=client.record_lost,
        max_spans_per_segment=options.max_spans,
        late_children_timeout=options.late_children_timeout,
    )


@guarded(False)
def flush(timeout: float | None = None, callback: object = None) -> bool:
    """Send what is finished now; wait at most ``timeout`` seconds (default: shutdown_timeout)."""
    client = get_client()
    if client is None:
        return True
    timeout = wait_seconds(timeout, "flush timeout", client.options.shutdown_timeout)
    provider = _provider.installed_provider()
    if provider is not None:
        _provider_flush(timeout)
    return client.flush(timeout)


def shutdown() -> None:
    """At exit: emit open segments, then close the transport within shutdown_timeout."""
    client = get_client()
    if client is None:
        return
    _provider_flush(client.options.shutdown_timeout, final=True)
    client.close(client.options.shutdown_timeout)


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
