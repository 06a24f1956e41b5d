"""``init()``: options, then the client and the OpenTelemetry set-up, then integrations.

The client part (``_setup.init.configure``) is shared with the
``opentelemetry-instrument`` configurator; integrations are set up here, above it,
because they enable instrumentors. Under ``opentelemetry-instrument`` OpenTelemetry
has loaded the instrumentors already: ``init()`` then only applies the options of
the integrations it is given.
"""

import logging
from typing import Any, Final

from scopetel._config.resolution import resolve
from scopetel._internal_errors import report_internal_error
from scopetel._setup.init import configure
from scopetel._setup.integrations import instrument_defaults
from scopetel._setup.launcher import loaded_by_opentelemetry_instrument
from scopetel.integrations._registry import setup_integrations
from scopetel.transport import client_transport

LOGGER: Final = logging.getLogger("scopetel")


def init(dsn: str | None = None, **kwargs: Any) -> None:
    """Start scopetel; keyword arguments override ``SENTRY_*`` variables (see README)."""
    options = client_transport(resolve(kwargs, dsn=dsn))
    configure(options)
    hands_off = loaded_by_opentelemetry_instrument()
    try:
        setup_integrations(options, hands_off=hands_off)
    except Exception:
        report_internal_error("setting up integrations")
    if options.default_integrations and not hands_off:
        enabled = instrument_defaults(options.disabled_integrations)
        LOGGER.debug("scopetel: instrumentors enabled: %s", ", ".join(enabled) or "none")
