"""scopetel under ``opentelemetry-instrument``: the distro and the configurator.

``opentelemetry-instrument`` runs, in this order, the distro's ``configure`` (defaults
for the ``OTEL_*`` variables and the propagators), the configurator (the SDK with
scopetel's sampler and processors, through the same ``configure`` as ``init()``), then
loads every ``opentelemetry_instrumentor`` entry point through the distro. Configuration
comes only from the environment (``SENTRY_*`` and ``OTEL_*``, see README); a bad value is
reported in one line and replaced by a safe default, and ``OTEL_SDK_DISABLED=true``
turns all of it off.
"""

import logging
import os
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from typing import Any, Final

from opentelemetry import propagate  # a module: importable while it loads our propagator
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from scopetel._config import otel_env as otel_env
from scopetel._config.resolution import auto_options
from scopetel._resource_warnings import report_once
from scopetel._semconv.redis_commands import record_key
from scopetel._setup.entry_points import ScopetelPropagator
from scopetel._setup.integrations import PREFIX, REPLACEMENTS, disabled_names, replacement
from scopetel._setup.launcher import started_by_opentelemetry_instrument

LOGGER: Final = logging.getLogger("scopetel")


# (opentelemetry.instrumentation.distro is ``# type: ignore``d upstream: mypy sees Any.)
class ScopetelDistro(BaseDistro):  # type: ignore[misc]
    """Defaults for the ``OTEL_*`` variables; skips instrumentors scopetel should not load."""

    def _configure(self, **kwargs: Any) -> None:
        environ = os.environ
        if otel_env.sdk_disabled(environ):
            LOGGER.debug("scopetel: OTEL_SDK_DISABLED is true; doing nothing")
            return
        started_by_opentelemetry_instrument()
        report_once()
        propagators_chosen = otel_env.PROPAGATORS in environ
        for name, value in otel_env.distro_defaults(environ).items():
            environ.setdefault(name, value)
        if not propagators_chosen:
            # opentelemetry.propagate read OTEL_PROPAGATORS when it was imported, before
            # any distro ran: install the default the variable now names.
            propagate.set_global_textmap(
                CompositePropagator(
                    [TraceContextTextMapPropagator(), W3CBaggagePropagator(), ScopetelPropagator()]
                )
            )

    def load_instrumentor(self, entry_point: EntryPoint, **kwargs: Any) -> None:
        """Instrument, unless the SDK is disabled, a scopetel instrumentor is turned off
        (``SENTRY_DEFAULT_INTEGRATIONS``, ``SENTRY_DISABLED_INTEGRATIONS``, or its short
        name in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``), or a contrib instrumentor is
        replaced by scopetel's own, installed and on (``_setup.integrations.REPLACEMENTS``)."""
        if otel_env.sdk_disabled(os.environ):
            return
        if entry_point.name.startswith(PREFIX):
            if not _scopetel_instrumentor_on(entry_point.name):
                return
        elif entry_point.name in REPLACEMENTS:
            ours = replacement(entry_point.name, auto_options().disabled_integrations)
            if ours is not None and _scopetel_instrumentor_on(ours):
                LOGGER.debug("scopetel: %s replaced by %s", entry_point.name, ours)
                return
        for name, hook in INSTRUMENTOR_HOOKS.get(entry_point.name, {}).items():
            kwargs.setdefault(name, hook)
        super().load_instrumentor(entry_point, **kwargs)


def _scopetel_instrumentor_on(name: str) -> bool:
    options = auto_options()
    return options.default_integrations and name not in disabled_names(
        options.disabled_integrations
    )


INSTRUMENTOR_HOOKS: Final[Mapping[str, Mapping[str, Any]]] = {
    "redis": {"request_hook": record_key},  # the key in descriptions, as sentry_sdk shows it
}
"""scopetel's hooks for contrib instrumentations, by entry point name (what
``RedisIntegration`` and the like give them when ``init()`` enables them)."""
