"""Logging of the transport's own problems on the ``scopetel`` logger.

Records are emitted under OpenTelemetry's suppress-instrumentation key so that a logging
instrumentation cannot turn them into telemetry that comes back to the transport.
Like scopetel's core, ``SCOPETEL_RAISE_INTERNAL_ERRORS=1`` re-raises internal errors
instead (for test suites); otherwise nothing is ever raised into the application.
"""

import logging
import os
from typing import Final

from opentelemetry import context as otel_context

__all__ = ["LOGGER", "SUPPRESS_INSTRUMENTATION_KEY", "report_internal_error"]

LOGGER: Final = logging.getLogger("scopetel")
SUPPRESS_INSTRUMENTATION_KEY: Final = otel_context._SUPPRESS_INSTRUMENTATION_KEY


def report_internal_error(where: str) -> None:
    """Log the exception being handled as a bug of the transport; call inside ``except``."""
    token = otel_context.attach(otel_context.set_value(SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        LOGGER.error("scopetel transport internal error in %s", where, exc_info=True)
    except Exception:
        pass
    finally:
        otel_context.detach(token)
    if os.environ.get("SCOPETEL_RAISE_INTERNAL_ERRORS", "") == "1":
        raise
