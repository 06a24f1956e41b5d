"""Which attribute names a statement span gets: OpenTelemetry's semantic-convention
stability mode (``OTEL_SEMCONV_STABILITY_OPT_IN``), read the way every contrib
instrumentation reads it, so our spans carry the keys contrib's SQLAlchemy
instrumentation would give them in the same process.

By default (the variable unset) the old names: ``db.statement``, ``db.system``,
``db.operation``, ``db.name``, ``db.user``, ``net.peer.name``, ``net.peer.port``;
``database``/``http``: the stable ones (``db.query.text``, ``db.system.name``,
``db.operation.name``, ``db.namespace``, ``server.address``, ``server.port``);
``database/dup``/``http/dup``: both.
"""

from dataclasses import dataclass

from opentelemetry.instrumentation._semconv import (
    _get_schema_url_for_signal_types,
    _get_semconv_opt_in_modes,
    _OpenTelemetryStabilitySignalType,
    _report_new,
    _report_old,
)

_DATABASE = _OpenTelemetryStabilitySignalType.DATABASE
_HTTP = _OpenTelemetryStabilitySignalType.HTTP


def _names(old: str | None, new: str | None, old_on: bool, new_on: bool) -> tuple[str, ...]:
    return tuple(name for name, on in ((old, old_on), (new, new_on)) if name is not None and on)


@dataclass(frozen=True, slots=True)
class Conventions:
    """Attribute names, each a tuple of the keys the mode sets (one, or two under dup)."""

    statement: tuple[str, ...]
    system: tuple[str, ...]
    operation: tuple[str, ...]
    name: tuple[str, ...]
    user: tuple[str, ...]
    peer_name: tuple[str, ...]
    peer_port: tuple[str, ...]
    schema_url: str


def current_conventions() -> Conventions:
    """The names of the mode ``OTEL_SEMCONV_STABILITY_OPT_IN`` chose (read once per
    process, as contrib does)."""
    modes = _get_semconv_opt_in_modes((_DATABASE, _HTTP))
    db_old, db_new = _report_old(modes[_DATABASE]), _report_new(modes[_DATABASE])
    http_old, http_new = _report_old(modes[_HTTP]), _report_new(modes[_HTTP])
    return Conventions(
        statement=_names("db.statement", "db.query.text", db_old, db_new),
        system=_names("db.system", "db.system.name", db_old, db_new),
        operation=_names("db.operation", "db.operation.name", db_old, db_new),
        name=_names("db.name", "db.namespace", db_old, db_new),
        user=_names("db.user", None, db_old, db_new),  # no stable successor
        peer_name=_names("net.peer.name", "server.address", http_old, http_new),
        peer_port=_names("net.peer.port", "server.port", http_old, http_new),
        schema_url=_get_schema_url_for_signal_types([_DATABASE, _HTTP]),
    )
