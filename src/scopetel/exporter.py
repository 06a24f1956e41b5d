"""``SentrySpanExporter`` for plain OpenTelemetry SDK users (``OTEL_TRACES_EXPORTER=scopetel``).

It sends the spans an OpenTelemetry ``TracerProvider`` exports to ``SENTRY_DSN`` as
span-streaming envelopes; applications that call ``scopetel.init()`` or run under
scopetel's configurator do not need it.
"""

from scopetel._pipeline.span_exporter import SentrySpanExporter

__all__ = ["SentrySpanExporter"]
