"""Finished OpenTelemetry spans → Sentry items. Three pipelines share the first steps:

* static (the default): ``segments.SegmentProcessor`` assembles a local root and its
  in-process descendants, ``transaction_events`` turns each segment into a
  ``transaction`` event;
* span streaming (``trace_lifecycle="stream"``): ``span_stream.SpanStreamProcessor``
  hands each span on as it ends, ``span_envelopes`` packs ``span`` v2 items;
* the plain-SDK exporter (``OTEL_TRACES_EXPORTER=scopetel``): ``span_exporter`` places
  exported spans in their segments (``segment_resolver``) and sends span envelopes.

``records`` holds what they hand on (compact spans, segments, Context values);
``mapping`` is the span → Sentry JSON vocabulary all three use.
"""
