"""Exporters for plain OpenTelemetry SDK users.

``SentrySpanExporter`` (``OTEL_TRACES_EXPORTER=scopetel``) sends the spans an
OpenTelemetry ``TracerProvider`` exports to ``SENTRY_DSN`` as span-streaming envelopes;
applications that call ``scopetel.init()`` or run under scopetel's configurator do not
need it. ``PrivateSpanExporter`` wraps any exporter so that it gets spans scrubbed as
Sentry's are (scopetel's configurator wraps the ``OTEL_TRACES_EXPORTER`` exporters with
it; wrap your own when you build the provider yourself).
"""

from scopetel._pipeline.private_export import PrivateSpanExporter
from scopetel._pipeline.span_exporter import SentrySpanExporter

__all__ = ["PrivateSpanExporter", "SentrySpanExporter"]
