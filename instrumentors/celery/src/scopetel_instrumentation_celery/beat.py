"""Celery beat schedules as Sentry cron monitors (``monitor_beat_tasks``).

In the beat process, ``Scheduler.apply_entry`` (every scheduler built on Celery's:
the default, django-celery-beat's …) sends each due entry; scopetel notes the entry's
monitor while it does. The task is then sent through ``Celery.send_task``, where the
producer span is current (``producer``): an ``in_progress`` check-in is captured there,
so it carries the trace the task will continue, and the message gets the monitor's
headers, sentry_sdk's names, so either SDK's worker can close the check-in:
``sentry-monitor-slug``, ``sentry-monitor-config``, ``sentry-monitor-check-in-id``,
``sentry-monitor-start-timestamp-s``.

In the worker, Celery's ``task_success`` signal closes the check-in ``ok``,
``task_failure`` and ``task_retry`` ``error``, with the time since beat sent the task
(queueing included), inside the task's transaction: the check-in carries its trace.
A worker closes the check-ins of every message that carries the headers, whatever its
own ``monitor_beat_tasks``: the beat process decided the entry is monitored.

The monitor's slug is the entry's name; its ``monitor_config`` is derived from the
schedule: ``crontab`` (its five fields) or ``interval`` (a whole number of minutes,
hours or days; Sentry has no finer unit, so a shorter or uneven interval is not
monitored: one warning), and the schedule's time zone. Entries whose name matches one
of ``exclude_beat_tasks`` (regular expressions) are not monitored.
"""

import contextvars
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from datetime import timezone as dt_timezone
from typing import Any, Final

from scopetel.instrumentation import MonitorStatus, capture_checkin, guarded, report_internal_error

LOGGER: Final = logging.getLogger("scopetel")
SLUG: Final = "sentry-monitor-slug"
CONFIG: Final = "sentry-monitor-config"
CHECK_IN: Final = "sentry-monitor-check-in-id"
STARTED: Final = "sentry-monitor-start-timestamp-s"
_UNITS: Final = (("day", 86400), ("hour", 3600), ("minute", 60))
_IANA: Final = re.compile(r"[A-Z][A-Za-z0-9._+-]*(?:/[A-Za-z0-9._+-]+)*")

Monitor = tuple[str, dict[str, Any]]
_warned: set[str] = set()  # entries a warning was logged for (once each)
_SENDING: Final[contextvars.ContextVar[Monitor | None]] = contextvars.ContextVar(
    "scopetel_celery_beat_monitor", default=None
)


class BeatMonitoring:
    """``instrument(monitor_beat_tasks=..., exclude_beat_tasks=...)``."""

    enabled = False
    exclude: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def configure(cls, enabled: bool, exclude: Iterable[str] | None) -> None:
        cls.enabled = enabled
        patterns = []
        for pattern in exclude or ():
            try:
                patterns.append(re.compile(str(pattern)))
            except re.error:
                LOGGER.warning(
                    "scopetel: exclude_beat_tasks: %r is not a regular expression", pattern
                )
        cls.exclude = tuple(patterns)

    @classmethod
    def excluded(cls, name: str) -> bool:
        return any(pattern.match(name) for pattern in cls.exclude)


# -- the beat process ------------------------------------------------------------------
def apply_entry(
    original: Callable[..., Any], scheduler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Scheduler.apply_entry`` with the entry's monitor noted for the send it makes."""
    monitor = None
    if BeatMonitoring.enabled:
        try:
            entry = args[0] if args else kwargs.get("entry")
            monitor = monitor_of(entry, getattr(scheduler, "app", None))
        except Exception:
            report_internal_error("celery beat apply_entry")
    if monitor is None:
        return original(*args, **kwargs)
    return contextvars.copy_context().run(_sending, monitor, original, args, kwargs)


def _sending(
    monitor: Monitor, original: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
) -> Any:
    _SENDING.set(monitor)  # in a copy of the Context, dropped afterwards
    return original(*args, **kwargs)


def monitor_of(entry: Any, app: Any) -> Monitor | None:
    """``(slug, monitor_config)`` of a schedule entry, or None when it is not monitored."""
    name = getattr(entry, "name", None)
    if not isinstance(name, str) or not name or BeatMonitoring.excluded(name):
        return None
    config = monitor_config(getattr(entry, "schedule", None), app, name)
    return (name, config) if config else None


def monitor_config(schedule: Any, app: Any, name: str) -> dict[str, Any]:
    """Sentry's ``monitor_config`` for a Celery schedule ({} when Sentry cannot express it)."""
    from celery.schedules import crontab  # type: ignore[import-untyped]
    from celery.schedules import schedule as interval

    if isinstance(schedule, crontab):
        fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        value = " ".join(str(getattr(schedule, f"_orig_{field}")) for field in fields)
        found: dict[str, Any] = {"schedule": {"type": "crontab", "value": value}}
    elif isinstance(schedule, interval):
        seconds = float(schedule.seconds)
        unit = next(
            ((u, size) for u, size in _UNITS if seconds >= size and seconds % size == 0), None
        )
        if unit is None:
            _warn_once(
                name,
                f"runs every {int(seconds) if seconds.is_integer() else seconds} s; Sentry's "
                "cron monitors take whole minutes, hours or days: not monitored",
            )
            return {}
        found = {
            "schedule": {"type": "interval", "value": int(seconds // unit[1]), "unit": unit[0]}
        }
    else:
        LOGGER.warning(
            "scopetel: beat entry %r: schedule %s is not monitored", name, type(schedule)
        )
        return {}
    zone = timezone_name(getattr(schedule, "tz", None) or getattr(app, "timezone", None))
    if zone is not None:
        found["timezone"] = zone
    return found


def _warn_once(name: str, text: str) -> None:
    if name not in _warned and len(_warned) < 1000:
        _warned.add(name)
        LOGGER.warning("scopetel: beat entry %r %s (exclude_beat_tasks silences this)", name, text)


def timezone_name(tz: object) -> str | None:
    """The IANA name of a time zone (``Etc/GMT-2`` for a whole-hour offset), else None."""
    name = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if isinstance(name, str):
        return name if _IANA.fullmatch(name) else None
    if isinstance(tz, dt_timezone):
        offset = tz.utcoffset(None)
        if offset % timedelta(hours=1):
            return None
        hours = offset // timedelta(hours=1)
        return f"Etc/GMT{-hours:+d}" if hours else "UTC"
    return None


@guarded(None)
def add_monitor_headers(headers: dict[str, Any]) -> None:
    """In ``send_task``, inside the producer span: the ``in_progress`` check-in of the
    entry beat is sending, and its headers on the message."""
    monitor = _SENDING.get()
    if monitor is None or CHECK_IN in headers:
        return
    slug, config = monitor
    check_in_id = capture_checkin(
        monitor_slug=slug, monitor_config=config, status=MonitorStatus.IN_PROGRESS
    )
    if check_in_id is None:
        return  # nothing sent (no client): nothing to close
    headers.update(
        {SLUG: slug, CONFIG: config, CHECK_IN: check_in_id, STARTED: f"{time.time():.9f}"}
    )


# -- the worker ------------------------------------------------------------------------
def monitor_headers(request: Any) -> Mapping[str, Any]:
    """The monitor headers of a task's request (top level, or nested under ``headers``)."""
    values = request if isinstance(request, Mapping) else getattr(request, "__dict__", {})
    found: dict[str, Any] = {}
    nested = values.get("headers")
    for source in (values, nested if isinstance(nested, Mapping) else {}):
        for key in (SLUG, CONFIG, CHECK_IN, STARTED):
            if key in source and key not in found:
                found[key] = source[key]
    return found


def _close(sender: Any, status: str) -> None:
    headers = monitor_headers(getattr(sender, "request", None))
    slug, check_in_id = headers.get(SLUG), headers.get(CHECK_IN)
    if not isinstance(slug, str) or not isinstance(check_in_id, str):
        return
    config = headers.get(CONFIG)
    try:
        duration: float | None = time.time() - float(headers[STARTED])
    except (KeyError, TypeError, ValueError):
        duration = None
    capture_checkin(
        monitor_slug=slug,
        check_in_id=check_in_id,
        status=status,
        duration=duration,
        monitor_config=config if isinstance(config, Mapping) else None,
    )


@guarded(None)
def on_task_success(sender: Any = None, **_: Any) -> None:
    _close(sender, MonitorStatus.OK)


@guarded(None)
def on_task_failure_or_retry(sender: Any = None, **_: Any) -> None:
    _close(sender, MonitorStatus.ERROR)
