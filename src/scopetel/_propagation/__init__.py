"""Trace propagation vocabulary: the dynamic sampling context (``dsc``), its per-trace
frozen copies (``frozen_dscs``), the header codecs (``headers``) and the OpenTelemetry
propagator for ``sentry-trace``/``baggage`` (``propagator``). Nothing here reads the
active client: callers hand the options in."""
