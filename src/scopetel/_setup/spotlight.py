"""Spotlight (``spotlight=True|URL``, ``SENTRY_SPOTLIGHT``): every envelope also goes to
the local Spotlight sidecar, whatever the DSN, from a sender of its own.

Precedence as in sentry_sdk: ``spotlight=False`` turns it off whatever the variable
says; ``spotlight=True`` uses the variable's URL when it holds one, else the default;
a URL given to ``init()`` wins over the variable's. With Spotlight on and no DSN, what
Spotlight shows is everything: errors and traces are all sampled and personal data is
sent (``send_default_pii``), as sentry_sdk does — it never leaves the machine.
"""

import logging
import os
import time
from dataclasses import replace
from typing import Any, Final

from scopetel_exporter_sentry.envelope import Envelope
from scopetel_exporter_sentry.spotlight import DEFAULT_SPOTLIGHT_URL, SpotlightTransport

from scopetel._config.checks import boolean_or_url
from scopetel._config.options import Options

LOGGER: Final = logging.getLogger("scopetel")


def spotlight_url(options: Options, environ: dict[str, str] | None = None) -> str | None:
    """The sidecar's URL, or None when Spotlight is off."""
    setting = options.spotlight
    if setting is None or setting is False:
        return None
    if isinstance(setting, str):
        return setting
    raw = (os.environ if environ is None else environ).get("SENTRY_SPOTLIGHT", "")
    try:
        from_env = boolean_or_url("SENTRY_SPOTLIGHT", raw) if raw.strip() else None
    except (TypeError, ValueError):
        from_env = None
    return from_env if isinstance(from_env, str) else DEFAULT_SPOTLIGHT_URL


def with_spotlight_defaults(options: Options) -> Options:
    """Without a DSN, Spotlight sees everything (sentry_sdk's DSN-less Spotlight mode)."""
    if options.dsn or spotlight_url(options) is None:
        return options
    return replace(
        options,
        sample_rate=1.0,
        traces_sample_rate=1.0,
        traces_sampler=None,
        error_sampler=None,
        send_default_pii=True,
    )


class SpotlightTee:
    """The Sentry transport (or none) plus Spotlight: envelopes go to both."""

    def __init__(self, primary: Any, spotlight: SpotlightTransport) -> None:
        self.primary = primary
        self.spotlight = spotlight

    def capture_envelope(self, envelope: Envelope) -> None:
        if self.primary is not None:
            self.primary.capture_envelope(envelope)
        self.spotlight.capture_envelope(envelope)

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        record = getattr(self.primary, "record_lost", None)
        if record is not None:
            record(reason, category, quantity)

    def flush(self, timeout: float) -> bool:
        """Both flushed within ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        flush = getattr(self.primary, "flush", None)
        done = bool(flush(timeout)) if flush is not None else True
        return self.spotlight.flush(max(0.0, deadline - time.monotonic())) and done

    def close(self, timeout: float) -> None:
        """Both closed within ``timeout`` seconds in all (Sentry first)."""
        deadline = time.monotonic() + timeout
        close = getattr(self.primary, "close", None)
        if close is not None:
            close(timeout)
        self.spotlight.close(max(0.0, deadline - time.monotonic()))


def with_spotlight(options: Options, transport: Any) -> Any:
    """``transport`` teed to Spotlight when it is on."""
    url = spotlight_url(options)
    if url is None:
        return transport
    LOGGER.debug("scopetel: sending envelopes to Spotlight at %s", url)
    return SpotlightTee(transport, SpotlightTransport(url))
