"""The Sentry-style tracing API over OpenTelemetry spans: the ``Span`` facade (``span``),
transactions, ``start_span``/``start_transaction``/``continue_trace`` (``transaction``),
``@trace`` (``decorator``), Sentry sampling as an OpenTelemetry sampler (``sampler``),
and the current trace's identity and DSC for outgoing headers (``trace_identity``)."""
