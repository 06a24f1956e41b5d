"""scopetel's own implementation of the OpenTelemetry trace API: the lean core.

``LeanTracerProvider`` is an SDK ``TracerProvider`` (same constructor, processors,
resource, sampler, id generator, span limits, shutdown and flush) whose tracers make
``RecordingSpan``\\ s: ``__slots__`` objects that keep attributes in a plain dict
(validated as OpenTelemetry validates them, ``OTEL_SPAN_*``/``OTEL_ATTRIBUTE_*`` limits
honoured), are handed to span processors themselves once ended (no copy), and read as
``ReadableSpan``\\ s by every SDK processor and exporter. A span whose local parent made
the sampling decision is decided without calling the sampler when the sampler says it
follows local parents (``follows_local_parent``); a span the sampler drops is an
``UnsampledSpan`` that builds its ``SpanContext`` only when asked.
"""
