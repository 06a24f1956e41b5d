"""Options from ``init()`` keywords over ``SENTRY_*`` variables over the defaults.

Explicit keywords that are unknown or ill-typed raise ``TypeError``/``ValueError``; a
bad environment value logs one line naming the variable and the fallback, and the
default is used (the application must start whatever its environment says).
"""

import logging
import os
from collections.abc import Mapping
from typing import Any, Final

from scopetel._config.options import BY_NAME, TABLE, Option, Options

LOGGER: Final = logging.getLogger("scopetel")


AUTO_INSTRUMENT_DEFAULTS: Final[Mapping[str, Any]] = {"traces_sample_rate": 1.0}
"""Defaults that differ under ``opentelemetry-instrument``: launching an application with
it asks for tracing, and OpenTelemetry's own default sampler samples everything."""


def resolve(
    kwargs: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    *,
    dsn: Any = None,
    defaults: Mapping[str, Any] | None = None,
) -> Options:
    """Options from ``init()`` keywords over the environment over the defaults.

    ``defaults`` replaces table defaults (already valid values), e.g.
    ``AUTO_INSTRUMENT_DEFAULTS``; a bad variable falls back to them too.
    """
    environ = os.environ if environ is None else environ
    defaults = defaults or {}
    values: dict[str, Any] = dict(defaults)
    if dsn is not None:
        if "dsn" in kwargs:
            raise TypeError("init() got the dsn both positionally and as a keyword")
        kwargs = {**kwargs, "dsn": dsn}
    for name, value in kwargs.items():
        option = BY_NAME.get(name)
        if option is None:
            raise TypeError(f"init() got an unexpected keyword argument {name!r}")
        values[name] = option.check(name, value)
        if option.inert and value is not None:
            LOGGER.debug("scopetel: init(%s=...) is accepted without effect", name)
    for option in TABLE:
        if option.name in kwargs or option.env is None or option.env not in environ:
            continue
        if not environ[option.env].strip():
            continue  # VAR= (as compose files write an unset one) means unset
        fallback = defaults.get(option.name, option.default)
        values[option.name] = from_environment(option, environ[option.env], fallback)
    return Options(**values)


_auto_options: Options | None = None


def auto_options() -> Options:
    """The process environment's options under ``opentelemetry-instrument``.

    Resolved once per process, so the distro, the configurator and the entry points
    agree and a bad variable is reported once.
    """
    global _auto_options
    if _auto_options is None:
        _auto_options = resolve({}, os.environ, defaults=AUTO_INSTRUMENT_DEFAULTS)
    return _auto_options


def forget_auto_options() -> None:
    """Resolve the environment again next time (for tests)."""
    global _auto_options
    _auto_options = None


_TABLE_DEFAULT: Final = object()


def from_environment(
    option: Option, raw: str, fallback: Any = _TABLE_DEFAULT, variable: str | None = None
) -> Any:
    """Parse one variable (``variable``, default: the option's); on a bad value log
    one line and use ``fallback`` (default: the table's default)."""
    fallback = option.default if fallback is _TABLE_DEFAULT else fallback
    name = variable or option.env or option.name
    try:
        return option.check(name, raw)
    except (TypeError, ValueError) as error:
        message = str(error)
        if not message.startswith(name):
            message = f"{name} is invalid ({message})"
        action = "leaving it unset" if fallback in (None, ()) else f"using {fallback!r} instead"
        LOGGER.warning("scopetel: %s; %s", message, action)
        return fallback


def option(name: str) -> Option:
    """The declaration of option ``name``."""
    return BY_NAME[name]
