"""The ``scopetel_sqlalchemy`` instrumentor: listeners of the dialect events of
SQLAlchemy's ``Engine`` class (``statements``) and of the ``Pool`` class's ``connect``
(``driver_proxies``), added when (and only if) SQLAlchemy is imported.

Listening on the class covers every engine, sync and async (an ``AsyncEngine`` runs
its statements on its ``sync_engine``), whenever and however it was created, with no
``create_engine`` wrapper. ``engine=``/``engines=`` (contrib's arguments) are accepted
and change nothing: those engines are covered already.
"""

from collections.abc import Collection
from types import ModuleType
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import SQLALCHEMY_TRACER, VERSION, ImportHook
from scopetel_instrumentation_sqlalchemy.conventions import current_conventions
from scopetel_instrumentation_sqlalchemy.driver_proxies import ProxyRemover
from scopetel_instrumentation_sqlalchemy.statements import StatementSpans

SCOPE: Final = SQLALCHEMY_TRACER
MODULE: Final = "sqlalchemy"


class _Listeners:
    """The listeners in place, and the import hook that adds them."""

    def __init__(self) -> None:
        self.hook = ImportHook(MODULE, self.apply)
        self.spans: StatementSpans | None = None
        self.added: list[tuple[Any, str, Any]] = []

    def apply(self, module: ModuleType) -> None:
        spans = self.spans
        if spans is None or self.added:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.pool import Pool

        for target, name, listener in (
            (Engine, "do_execute", spans.do_execute),  # the class: every engine's dialect
            (Engine, "do_executemany", spans.do_executemany),
            (Engine, "do_execute_no_params", spans.do_execute_no_params),
            (Pool, "connect", ProxyRemover(spans.failed).connect),  # every pool
        ):
            event.listen(target, name, listener)
            self.added.append((target, name, listener))

    def remove(self) -> None:
        self.hook.disable()
        if self.added:
            from sqlalchemy import event

            for target, name, listener in self.added:
                event.remove(target, name, listener)
            self.added.clear()
        self.spans = None


class SQLAlchemyInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """A CLIENT span per statement, as contrib's SQLAlchemy instrumentation names and
    describes it; see the package docstring. ``tracer_provider``: as in contrib."""

    _listeners = _Listeners()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("sqlalchemy >= 2.0",)

    def _instrument(self, **kwargs: Any) -> None:
        names = current_conventions()
        tracer = trace.get_tracer(
            SCOPE, VERSION, kwargs.get("tracer_provider"), schema_url=names.schema_url
        )
        self._listeners.spans = StatementSpans(tracer, names)
        self._listeners.hook.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._listeners.remove()
