"""Error events for exceptions nobody handled, marked so that no other path reports them twice.

An exception reported here (by an excepthook or the asyncio loop's exception handler)
is marked; the logging instrumentation skips the event for a log record carrying a
marked exception (asyncio's default handler logs the very exception it was given).
"""

import contextlib
import contextvars
from typing import Any, Final

import scopetel
from scopetel._client import get_client
from scopetel._events.exceptions import exceptions_from_error

_MARK: Final = "__scopetel_captured__"


def mark_captured(error: BaseException) -> None:
    # An exception class may refuse attributes (a read-only __setattr__): then unmarked.
    with contextlib.suppress(Exception):
        setattr(error, _MARK, True)


def was_captured(error: object) -> bool:
    try:
        return getattr(error, _MARK, False) is True
    except Exception:
        return False


def capture_unhandled(
    error: BaseException,
    mechanism_type: str,
    *,
    contexts: dict[str, dict[str, Any]] | None = None,
    run_in: contextvars.Context | None = None,
) -> str | None:
    """Send ``error`` as an unhandled error event (``mechanism.handled = false``).

    ``run_in``: the Context whose scopes and span the event belongs to (a copy of it is
    used, so it may be one that is running elsewhere).
    """
    if was_captured(error):
        return None
    client = get_client()
    if client is None or not client.sending:
        return None
    values = exceptions_from_error(
        error, client.frame_options, mechanism_type=mechanism_type, handled=False
    )
    event: dict[str, Any] = {"level": "error", "exception": {"values": values}}
    if contexts:
        event["contexts"] = contexts
    hint = {"exc_info": (type(error), error, error.__traceback__)}
    mark_captured(error)
    if run_in is not None:
        return run_in.copy().run(scopetel.capture_event, event, hint)
    return scopetel.capture_event(event, hint)
