"""Continuous profiling, as ``sentry_sdk.profiler``: ``start_profiler()``/``stop_profiler()``.

Configured by ``init()`` (``profile_session_sample_rate``, ``profile_lifecycle``,
``profiles_sample_rate``; README "Profiling")::

    scopetel.init(dsn=..., traces_sample_rate=1.0, profile_session_sample_rate=1.0)
    scopetel.profiler.start_profiler()
    ...
    scopetel.profiler.stop_profiler()

Both are no-ops when profiling is not configured, when this process's profiling session
was not sampled, and with ``profile_lifecycle="trace"`` (profiling then follows root
spans). They never raise.
"""

import warnings
from typing import Final

from scopetel._profiling.sampler import MAX_STACK_DEPTH
from scopetel._profiling.session import start_profiler, stop_profiler

DEFAULT_SAMPLING_FREQUENCY: Final = 101
"""Samples per second unless ``profiler_frequency`` says otherwise (as sentry-sdk)."""


def start_profile_session() -> None:
    """Deprecated name of :func:`start_profiler` (as in sentry_sdk)."""
    warnings.warn(
        "start_profile_session() is deprecated; use start_profiler()",
        DeprecationWarning,
        stacklevel=2,
    )
    start_profiler()


def stop_profile_session() -> None:
    """Deprecated name of :func:`stop_profiler` (as in sentry_sdk)."""
    warnings.warn(
        "stop_profile_session() is deprecated; use stop_profiler()",
        DeprecationWarning,
        stacklevel=2,
    )
    stop_profiler()


__all__ = [
    "DEFAULT_SAMPLING_FREQUENCY",
    "MAX_STACK_DEPTH",
    "start_profile_session",
    "start_profiler",
    "stop_profile_session",
    "stop_profiler",
]
