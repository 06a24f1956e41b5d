"""The connection proxies of contrib's DB-API driver instrumentations, taken out of
SQLAlchemy's pools.

OpenTelemetry's sqlite3, pymysql, mysql-connector, mysqlclient and pymssql
instrumentations wrap every connection their driver's ``connect()`` makes in a
``TracedConnectionProxy`` (a Python-level attribute lookup on each access), whose
cursors are ``TracedCursorProxy``s (one object per cursor, a Python call and a
suppression check per ``execute``). Under scopetel's instrumentor every statement
SQLAlchemy runs is recorded by our span with the driver's suppressed (``statements``),
so on SQLAlchemy's connections the proxies only cost: ~15 µs per statement on SQLite,
on the application's thread. Our listener of the pool's ``connect`` event (on the
``Pool`` class: every pool) puts the driver's own connection in the pool's record in
place of the proxy, before SQLAlchemy checks it out; the listeners after ours (the
dialect's set-up, the application's ``PRAGMA``s) get the proxy, which forwards to it.

Given up, knowingly: a span for a statement the application runs on a cursor of the
DB-API connection of a pool's connection itself (``engine.raw_connection()``), which
the driver's instrumentation recorded (sentry_sdk records none either). Connections
made before ``instrument()``, and any other kind of wrapper, are left as they are.
"""

from collections.abc import Callable
from typing import Any, Final

_PROXY_MODULE: Final = "opentelemetry.instrumentation.dbapi"
_PROXY_CLASS: Final = "TracedConnectionProxy"


def driver_connection(connection: object) -> object | None:
    """The driver's connection inside a contrib DB-API proxy, else None."""
    kind = type(connection)  # a wrapt proxy's ``__class__`` names the wrapped class
    if kind.__name__ == _PROXY_CLASS and kind.__module__ == _PROXY_MODULE:
        inner: object = connection.__wrapped__  # type: ignore[attr-defined]
        return inner
    return None


class ProxyRemover:
    """The pool ``connect`` listener; ``failed`` reports our own error (and swallows it)."""

    def __init__(self, failed: Callable[[str], None]) -> None:
        self._failed = failed

    def connect(self, dbapi_connection: Any, record: Any) -> None:
        try:
            inner = driver_connection(dbapi_connection)
            if inner is not None and record.dbapi_connection is dbapi_connection:
                record.dbapi_connection = inner
        except Exception:
            self._failed("removing a driver's proxy")
