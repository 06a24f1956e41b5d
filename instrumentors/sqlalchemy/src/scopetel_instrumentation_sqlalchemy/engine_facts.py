"""What a statement span says about its database: its name and attributes.

The same name and attributes contrib's SQLAlchemy instrumentation gives a statement
(``<first word of the statement> <database name>``; the connection's address, port,
database and user from the engine's URL, else from the driver's connection for
PostgreSQL; the statement, the system, the operation), worked out once per engine
where they cannot change (SQLite and every URL that names its database), per statement
where the driver's connection holds them (PostgreSQL, MySQL, SQL Server).
"""

import os
import re
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel_instrumentation_sqlalchemy.conventions import Conventions

Attributes = dict[str, AttributeValue]

_LEADING_COMMENT: Final = re.compile(r"^/\*.*?\*/")
_NET_TRANSPORT: Final = "net.transport"  # set in every mode, as contrib does


def vendor_of(engine_name: str | None) -> str:
    """``db.system``: the engine's dialect name, PostgreSQL and SQLite spelled one way."""
    if not engine_name:
        return "db"
    if "sqlite" in engine_name:
        return "sqlite"
    if "postgres" in engine_name or engine_name == "psycopg2":
        return "postgresql"
    return engine_name


def operation_of(statement: object) -> str | None:
    """The statement's first word after a leading ``/* … */`` comment (no SQL parsing)."""
    if not isinstance(statement, str):
        return None
    if statement.startswith("/*"):
        statement = _LEADING_COMMENT.sub("", statement)
    words = statement.split(None, 1)
    return words[0] if words else None


def _put(attributes: Attributes, keys: tuple[str, ...], value: Any) -> None:
    """Set ``keys`` to ``value`` when it is not empty (contrib's rule for these)."""
    if value:
        for key in keys:
            attributes[key] = value


def _put_port(attributes: Attributes, keys: tuple[str, ...], value: Any) -> None:
    if value:
        try:
            port = int(value)
        except (TypeError, ValueError):
            return
        for key in keys:
            attributes[key] = port


def _from_url(url: Any, names: Conventions) -> Attributes:
    attributes: Attributes = {}
    _put(attributes, names.peer_name, url.host)
    _put_port(attributes, names.peer_port, url.port)
    _put(attributes, names.name, url.database)
    _put(attributes, names.user, url.username)
    return attributes


def _database_of_cursor(vendor: str, engine: Any, cursor: Any) -> Any:
    """The database name the driver's connection reports, else the URL's."""
    connection = getattr(cursor, "connection", None)
    if "postgres" in vendor:
        info = getattr(connection, "info", None)
        return getattr(info, "dbname", None) if info else None
    if "mysql" in vendor:
        connection = connection or getattr(cursor, "_cnx", None)
        if not connection:
            return None
        if hasattr(connection, "database"):
            return connection.database
        if hasattr(connection, "db"):
            name = connection.db
            return name.decode("utf-8") if isinstance(name, bytes) else name
        return None
    if "mssql" in vendor or "sqlserver" in vendor:
        found = None
        if connection:
            info = getattr(connection, "info", None)
            if hasattr(connection, "database"):
                found = connection.database
            elif hasattr(connection, "db"):
                found = connection.db
            elif info and hasattr(info, "database"):
                found = info.database
        if found:
            return found
    return getattr(getattr(engine, "url", None), "database", None)


def _postgres_peer(attributes: Attributes, cursor: Any, name: Any, names: Conventions) -> None:
    """PostgreSQL with no host in the URL: address and port from the driver's connection."""
    info = getattr(getattr(cursor, "connection", None), "info", None)
    if not info:
        return
    _put(attributes, names.name, name)
    host = info.host
    if host and host.startswith("/"):
        attributes[_NET_TRANSPORT] = "other"
        if info.port:
            _put(attributes, names.peer_name, os.path.join(host, f".s.PGSQL.{info.port}"))
    else:
        attributes[_NET_TRANSPORT] = "ip_tcp"
        _put(attributes, names.peer_name, host)
        _put_port(attributes, names.peer_port, info.port)


_PER_CURSOR: Final = ("postgres", "mysql", "mssql", "sqlserver")


_CONTRIB_MODULE: Final = "opentelemetry.instrumentation.sqlalchemy"


def traced_by_contrib(engine: Any) -> bool:
    """Whether contrib's SQLAlchemy instrumentation listens to ``engine`` (an application
    may instrument an engine with it explicitly): its spans, not ours, then."""
    for listener in engine.dispatch.before_cursor_execute:
        owner = getattr(listener, "__self__", None)
        if type(owner).__module__.startswith(_CONTRIB_MODULE):
            return True
    return False


class EngineFacts:
    """An engine's part of its statement spans (``left_to_contrib``: none from us)."""

    __slots__ = (
        "_base",
        "_database",
        "_names",
        "_per_cursor",
        "_system",
        "_vendor",
        "left_to_contrib",
    )

    def __init__(self, engine: Any, names: Conventions) -> None:
        self.left_to_contrib = traced_by_contrib(engine)
        self._names = names
        self._vendor = vendor_of(engine.name)
        self._system: Attributes = {key: self._vendor for key in names.system}
        self._per_cursor = any(part in self._vendor for part in _PER_CURSOR)
        url = engine.url
        self._base = _from_url(url, names)
        if self._vendor == "sqlite" and not url.host:
            _put(self._base, names.name, url.database)
        self._database: Any = url.database

    def span(self, engine: Any, cursor: Any, statement: str) -> tuple[str, Attributes]:
        """The name and attributes of the span of ``statement``."""
        names = self._names
        attributes = dict(self._base)
        if self._per_cursor:
            database = _database_of_cursor(self._vendor, engine, cursor)
            if self._vendor == "postgresql" and not engine.url.host:
                _postgres_peer(attributes, cursor, database, names)
        else:
            database = self._database
        operation = operation_of(statement)
        if operation and database:
            name = f"{operation} {database}"
        else:
            name = operation or (str(database) if database else self._vendor)
        if statement is not None:
            for key in names.statement:
                attributes[key] = statement
        attributes.update(self._system)
        for key in names.operation:
            attributes[key] = name
        return name, attributes
