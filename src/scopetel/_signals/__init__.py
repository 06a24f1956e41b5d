"""Sentry's attribute-based signals: structured logs (``log`` items) and trace-connected
metrics (``trace_metric`` items), batched per client.

Logs flow through OpenTelemetry's Logs SDK: a ``LogRecordProcessor`` of the
``LoggerProvider`` turns every record (``sentry_sdk.logger``, ``logging``, any other
OpenTelemetry instrumentation) into a Sentry log, beside the exporters of
``OTEL_LOGS_EXPORTER``. Metrics are per-value events in Sentry but aggregates in
OpenTelemetry: ``scopetel.metrics`` feeds both, from the same call.
"""
