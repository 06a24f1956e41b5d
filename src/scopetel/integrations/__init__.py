"""Sentry-style integrations: ``init(integrations=[DjangoIntegration(), ...])``.

Each integration of ``sentry_sdk.integrations.*`` has a module of the same name here,
so existing imports keep working (``from scopetel.integrations.django import
DjangoIntegration``, or through the ``sentry_sdk`` name of scopetel-sentry-sdk).
An integration enables the OpenTelemetry instrumentation that does its job: one of
scopetel's instrumentors, or the OpenTelemetry contrib instrumentation of the library,
configured with the options the integration was given (``_instrumentors``). Importing
the module of an integration whose library is not installed raises
:class:`DidNotEnable`, as sentry_sdk does. ``init()`` sets them up (``_registry``):
the ones given, sentry_sdk's defaults and the auto-enabling ones (``_defaults``).

Your own integrations subclass :class:`Integration` and implement ``setup_once`` (a
static method, run once per process), exactly as with sentry_sdk.
"""

from scopetel.integrations._base import DidNotEnable, Integration

__all__ = ["DidNotEnable", "Integration"]
