"""OpenTelemetry's warnings about ``OTEL_RESOURCE_ATTRIBUTES``, each shown once.

The SDK parses the variable every time it makes a default ``Resource``: at the import
of its logs module (a default argument), for each signal's provider, for the
configurator. A malformed member would be reported three or four times. Installed when
scopetel is imported (by this module's import), before it imports the SDK's modules.
"""

import logging
from typing import Final

RESOURCES_LOGGER: Final = "opentelemetry.sdk.resources"
_MAX_REMEMBERED: Final = 1000


class _Once(logging.Filter):
    """Passes each distinct message once."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self._seen:
            return False
        if len(self._seen) < _MAX_REMEMBERED:
            self._seen.add(message)
        return True


def report_once() -> None:
    """Add the filter to OpenTelemetry's resources logger (once)."""
    logger = logging.getLogger(RESOURCES_LOGGER)
    if not any(isinstance(existing, _Once) for existing in logger.filters):
        logger.addFilter(_Once())


report_once()
