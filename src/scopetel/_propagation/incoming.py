"""Continue the trace a message or request came with, from its headers.

OpenTelemetry's configured propagators read the carrier first (``traceparent``,
``tracestate``, ``baggage``, or whatever ``OTEL_PROPAGATORS`` names), then Sentry's own
headers (``sentry-trace``, ``baggage`` with the dynamic sampling context) are read by
scopetel whatever propagators are configured, so a trace from a sentry_sdk service is
continued too. Used by the server (web) and consumer (queue) layers.
"""

import contextlib
from collections.abc import Mapping
from typing import Any

from opentelemetry import propagate
from opentelemetry.context import Context

from scopetel._propagation.headers import extract_incoming
from scopetel._propagation.propagator import context_with_incoming


def continue_incoming(carrier: Mapping[str, Any], base: Context) -> Context:
    """``base`` with the trace of ``carrier`` (headers, or a message's header dict)."""
    with contextlib.suppress(Exception):  # a third-party propagator failed: read ours below
        base = propagate.extract(carrier, context=base)
    incoming = extract_incoming(carrier)
    return base if incoming is None else context_with_incoming(incoming, base)
