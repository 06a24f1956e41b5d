"""redis commands in Sentry's terms: the key shown, the values filtered.

OpenTelemetry's redis instrumentation records a command as ``db.statement``
``SET ? ? ?``: every argument hidden, the key too. sentry_sdk describes it as
``SET 'post:1' [Filtered] [Filtered]``: the first argument (the key of key commands)
shown, the others filtered, at most ten. :func:`record_key` is the instrumentation's
``request_hook`` that keeps the first argument as ``db.redis.key`` (never for ``AUTH``);
:func:`description` builds sentry_sdk's text from it and the argument count.
"""

from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.trace import Span

from scopetel._semconv.conventions import DB_QUERY_TEXT, Attrs, first_str
from scopetel._semconv.personal_data import FILTERED

KEY: Final = "db.redis.key"
ARGS_LENGTH: Final = "db.redis.args_length"  # the instrumentation's: command + arguments
PIPELINE_LENGTH: Final = "db.redis.pipeline_length"  # the instrumentation's, on pipelines
PIPELINE: Final = "redis.pipeline.execute"  # sentry_sdk's name of a pipeline's call
MAX_ARGUMENTS: Final = 11  # sentry_sdk shows at most the key and ten more
MAX_KEY_LENGTH: Final = 200
_SECRET_COMMANDS: Final = frozenset({"auth", "hello", "migrate"})  # may carry passwords


def _text(value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def record_key(span: Span, instance: object, args: Sequence[Any], kwargs: object) -> None:
    """The redis instrumentation's ``request_hook``: the command's first argument as
    ``db.redis.key``. Never raises (the instrumentation runs hooks in the app's call)."""
    try:
        if len(args) < 2 or not span.is_recording():
            return
        if _text(args[0]).lower() in _SECRET_COMMANDS:
            return
        span.set_attribute(KEY, _text(args[1])[:MAX_KEY_LENGTH])
    except Exception:  # an odd argument object: the span keeps the instrumentation's text
        return


def command_of(attrs: Attrs) -> str | None:
    """The command name: the first word of the instrumentation's statement."""
    statement = first_str(attrs, DB_QUERY_TEXT)
    if statement is None:
        return None
    return statement.split(None, 1)[0] if statement.strip() else None


def description(attrs: Attrs) -> str | None:
    """sentry_sdk's description (``GET 'post:1'``), or None without a recorded key."""
    key = attrs.get(KEY)
    command = command_of(attrs)
    if not isinstance(key, str) or command is None:
        return None
    count = attrs.get(ARGS_LENGTH)
    arguments = count - 1 if isinstance(count, int) and not isinstance(count, bool) else 1
    hidden = max(0, min(arguments, MAX_ARGUMENTS) - 1)
    return " ".join([command, repr(key), *([FILTERED] * hidden)])


def breadcrumb(attrs: Attrs) -> dict[str, object] | None:
    """A ``redis`` breadcrumb of a finished command (or pipeline), as sentry_sdk records it."""
    command = command_of(attrs)
    if command is None:
        return None
    if PIPELINE_LENGTH in attrs:
        statement = first_str(attrs, DB_QUERY_TEXT) or ""
        commands = [line.split(None, 1)[0] for line in statement.splitlines() if line.strip()]
        listed = {"redis.commands": commands[:MAX_ARGUMENTS]}
        return {"type": "redis", "category": "redis", "message": PIPELINE, "data": listed}
    data: dict[str, object] = {"redis.command": command, "db.operation": command}
    key = attrs.get(KEY)
    if isinstance(key, str):
        data["redis.key"] = key
    message = description(attrs) or first_str(attrs, DB_QUERY_TEXT)
    return {"type": "redis", "category": "redis", "message": message, "data": data}
