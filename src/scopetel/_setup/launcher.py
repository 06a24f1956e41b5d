"""Who started scopetel in this process: ``opentelemetry-instrument`` or the application.

Under ``opentelemetry-instrument`` OpenTelemetry loads the instrumentors; an ``init()``
in the application then leaves them as they are (unless its integrations have options).
A module of its own, free of OpenTelemetry imports: ``scopetel`` is imported while
OpenTelemetry's own modules are still loading (its propagator entry point).
"""

_opentelemetry_instrument = False


def started_by_opentelemetry_instrument() -> None:
    """Called by the distro when ``opentelemetry-instrument`` configures scopetel."""
    global _opentelemetry_instrument
    _opentelemetry_instrument = True


def loaded_by_opentelemetry_instrument() -> bool:
    """Whether ``opentelemetry-instrument`` started scopetel's distro in this process."""
    return _opentelemetry_instrument
