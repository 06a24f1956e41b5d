"""``sentry_sdk.utils``: the helpers application code imports from it.

``Dsn``/``BadDsn`` (sentry_sdk's attributes: ``scheme``, ``host``, ``port``, ``netloc``,
``path`` ending in ``/``, ``public_key``, ``secret_key``, ``project_id``, ``org_id``),
``event_from_exception``, ``exc_info_from_error``, ``capture_internal_exceptions``,
``logger``, ``format_timestamp``, ``safe_repr``/``safe_str``, ``MAX_STRING_LENGTH``.
"""

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final

from scopetel_exporter_sentry.dsn import Dsn as ParsedDsn
from scopetel_exporter_sentry.dsn import InvalidDsn

from scopetel._api import exception_event
from scopetel._client import get_client
from scopetel._events.exceptions import exc_info_from
from scopetel._events.stacktrace import FrameOptions, app_root
from scopetel._serialize import safe_repr, safe_str

__all__ = [
    "MAX_STRING_LENGTH",
    "BadDsn",
    "Dsn",
    "capture_internal_exceptions",
    "event_from_exception",
    "exc_info_from_error",
    "format_timestamp",
    "logger",
    "safe_repr",
    "safe_str",
]

logger: Final = logging.getLogger("scopetel")
MAX_STRING_LENGTH: Final = 1024  # sentry_sdk.utils: the length strings were cut to (1.x)
_ORG_ID: Final = re.compile(r"^o(\d+)\.")
ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


class BadDsn(ValueError):
    """The DSN cannot be used (``ValueError``, as in sentry_sdk)."""


class Dsn:
    """A parsed DSN, with sentry_sdk's attributes; ``str(dsn)`` gives it back."""

    def __init__(self, value: "Dsn | str", org_id: str | None = None) -> None:
        try:
            parsed = ParsedDsn.parse(str(value))
        except InvalidDsn as error:
            raise BadDsn(str(error)) from None
        self.scheme = parsed.scheme
        self.host = parsed.host
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.public_key = parsed.public_key
        self.secret_key = parsed.secret_key
        self.project_id = parsed.project_id
        self.path = parsed.path + "/"
        found = _ORG_ID.match(parsed.host)
        self.org_id = org_id if org_id is not None else (found.group(1) if found else None)

    @property
    def netloc(self) -> str:
        """The host, with the port unless it is the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = self.port == (443 if self.scheme == "https" else 80)
        return host if default else f"{host}:{self.port}"

    def __str__(self) -> str:
        secret = f":{self.secret_key}" if self.secret_key else ""
        return (
            f"{self.scheme}://{self.public_key}{secret}@{self.netloc}{self.path}{self.project_id}"
        )

    def __repr__(self) -> str:
        return f"<Dsn {self.scheme}://{self.netloc}{self.path}{self.project_id}>"


def exc_info_from_error(error: BaseException | tuple[Any, Any, Any]) -> ExcInfo:
    """``(type, value, traceback)`` of an exception (or of an ``exc_info`` tuple)."""
    found = exc_info_from(error) if error is not None else None
    if found is None:
        raise ValueError("expected an exception or an exc_info tuple")
    return type(found), found, found.__traceback__


def event_from_exception(
    exc_info: BaseException | tuple[Any, Any, Any],
    client_options: Mapping[str, Any] | None = None,
    mechanism: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An error event for the exception, and its hint (``exc_info``), ready to capture."""
    error = exc_info_from(exc_info)
    if error is None:
        return {"level": "error"}, {}
    options = _frame_options(client_options)
    mechanism_type = str((mechanism or {}).get("type") or "generic")
    handled = (mechanism or {}).get("handled", True) is not False
    return exception_event(error, options, mechanism_type, handled=handled)


def _frame_options(given: Mapping[str, Any] | None) -> FrameOptions:
    client = get_client()
    if client is not None and (not given or given.get("dsn") == client.options.dsn):
        return client.frame_options
    if not given:
        return FrameOptions()
    length = given.get("max_value_length")
    return FrameOptions(
        in_app_include=tuple(given.get("in_app_include") or ()),
        in_app_exclude=tuple(given.get("in_app_exclude") or ()),
        include_local_variables=given.get("include_local_variables", True) is not False,
        include_source_context=given.get("include_source_context", True) is not False,
        max_value_length=length if type(length) is int else MAX_STRING_LENGTH,
        project_root=given.get("project_root"),
        app_root=app_root(given.get("project_root")),
        custom_repr=given.get("custom_repr"),
    )


@contextmanager
def capture_internal_exceptions() -> Iterator[None]:
    """Run a block whose exceptions are logged (debug) and swallowed."""
    try:
        yield
    except Exception:
        logger.debug("scopetel: swallowed by capture_internal_exceptions", exc_info=sys.exc_info())


def format_timestamp(value: datetime) -> str:
    """``2024-06-01T12:00:00.000000Z`` (UTC), as Sentry's JSON carries times."""
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
