"""Logging of the transport's own problems on the ``scopetel`` logger.

Records are emitted under OpenTelemetry's suppress-instrumentation key so that a logging
instrumentation cannot turn them into telemetry that comes back to the transport.
Like scopetel's core, ``SCOPETEL_RAISE_INTERNAL_ERRORS=1`` re-raises internal errors
instead (for test suites); otherwise nothing is ever raised into the application.
"""

import logging
import os
from contextlib import AbstractContextManager
from typing import Final

__all__ = ["LOGGER", "report_internal_error", "suppressed"]

LOGGER: Final = logging.getLogger("scopetel")


def suppressed() -> AbstractContextManager[None]:
    """OpenTelemetry's ``suppress_instrumentation()``: the transport's own HTTP calls and
    log lines make no spans and no events."""
    # Imported on use: OpenTelemetry loads propagators (and so scopetel and this module)
    # while opentelemetry.instrumentation.utils itself is still being imported.
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def report_internal_error(where: str) -> None:
    """Log the exception being handled as a bug of the transport; call inside ``except``."""
    try:
        with suppressed():
            LOGGER.error("scopetel transport internal error in %s", where, exc_info=True)
    except Exception:
        pass
    if os.environ.get("SCOPETEL_RAISE_INTERNAL_ERRORS", "") == "1":
        raise
