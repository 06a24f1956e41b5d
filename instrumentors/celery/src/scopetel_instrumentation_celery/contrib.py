"""OpenTelemetry contrib's Celery instrumentation is turned off while this one is on.

Both would trace every task and every publish twice, and contrib's worker handler
attaches a Context made from the message alone (``context.attach(extract(request))``),
which replaces the task's Context and so loses its scopes. Contrib's instrumentor is
loaded in any order by ``opentelemetry-instrument``: it is uninstrumented when this one
is instrumented, and again before each task run or publish if it came later (a check of
one attribute when it is absent). Disable ``scopetel_celery`` to keep contrib's instead.
"""

import logging
import sys
from typing import Final

LOGGER: Final = logging.getLogger("scopetel")
CONTRIB_MODULE: Final = "opentelemetry.instrumentation.celery"
_told = False


def supersede_contrib() -> None:
    """Uninstrument contrib's ``CeleryInstrumentor`` if it is instrumented here."""
    global _told
    module = sys.modules.get(CONTRIB_MODULE)
    instrumentor_class = getattr(module, "CeleryInstrumentor", None)
    if instrumentor_class is None:
        return
    instrumentor = instrumentor_class()  # BaseInstrumentor is a singleton
    if not instrumentor.is_instrumented_by_opentelemetry:
        return
    instrumentor.uninstrument()
    if not _told:
        _told = True
        LOGGER.info(
            "scopetel: OpenTelemetry's Celery instrumentation is turned off: scopetel_celery "
            "traces Celery (disable scopetel_celery to keep contrib's)"
        )
