"""One line per item of Sentry's other signals: sessions, check-ins, attachments, and
(names only) logs and trace metrics."""

from typing import Any, Final

from scopetel.serve._fields import as_dict, as_list, as_str
from scopetel.serve._records import Received
from scopetel.serve._style import Style

__all__ = ["signal_line"]

_OUTCOMES: Final = ("exited", "errored", "crashed", "abnormal")
_NAMES_SHOWN: Final = 5


def signal_line(record: Received, style: Style) -> str | None:
    """The line for a session, sessions, check-in, attachment, log or metric item."""
    payload = as_dict(record.payload)
    view = _VIEWS.get(record.kind)
    return None if view is None else view(record, payload, style)


def _session(record: Received, payload: dict[str, Any], style: Style) -> str:
    status = as_str(payload.get("status")) or "?"
    errors = payload.get("errors")
    parts = [
        style.paint(f"session {status}", "error" if status in ("crashed", "abnormal") else "title"),
        f"{as_str(errors) or '0'} error(s)",
    ]
    duration = payload.get("duration")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        parts.append(f"{duration:.3f} s")
    parts += _attrs(as_dict(payload.get("attrs")))
    parts.append(f"sid {as_str(payload.get('sid')) or '?'}")
    return style.dot.join(parts)


def _sessions(record: Received, payload: dict[str, Any], style: Style) -> str:
    totals = dict.fromkeys(_OUTCOMES, 0)
    minutes = as_list(payload.get("aggregates"))
    for aggregate in map(as_dict, minutes):
        for outcome in _OUTCOMES:
            value = aggregate.get(outcome)
            if isinstance(value, int) and not isinstance(value, bool):
                totals[outcome] += value
    counts = " ".join(f"{outcome}={value}" for outcome, value in totals.items() if value)
    parts = [style.paint("sessions", "title"), counts or "none", f"{len(minutes)} minute(s)"]
    return style.dot.join(parts + _attrs(as_dict(payload.get("attrs"))))


def _check_in(record: Received, payload: dict[str, Any], style: Style) -> str:
    status = as_str(payload.get("status")) or "?"
    parts = [
        style.paint(f"check_in {as_str(payload.get('monitor_slug')) or '?'}", "title"),
        style.paint(status, "error") if status == "error" else status,
    ]
    duration = payload.get("duration")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        parts.append(f"{duration:.3f} s")
    trace_id = as_str(as_dict(as_dict(payload.get("contexts")).get("trace")).get("trace_id"))
    if trace_id:
        parts.append(f"trace {trace_id}")
    parts.append(f"check-in {as_str(payload.get('check_in_id')) or '?'}")
    return style.dot.join(parts)


def _attachment(record: Received, payload: dict[str, Any], style: Style) -> str:
    headers = as_dict(record.meta.get("headers"))
    parts = [
        style.paint(f"attachment {as_str(headers.get('filename')) or '?'}", "title"),
        as_str(headers.get("content_type")) or "no content type",
        f"{as_str(headers.get('length')) or '?'} bytes",
    ]
    event_id = as_str(as_dict(record.meta.get("envelope")).get("event_id"))
    if event_id:
        parts.append(f"event {event_id}")
    return style.dot.join(parts)


def _named(kind: str, key: str) -> Any:
    def view(record: Received, payload: dict[str, Any], style: Style) -> str:
        names = [as_str(as_dict(entry).get(key)) for entry in as_list(payload.get("items"))]
        shown = ", ".join(names[:_NAMES_SHOWN]) + (" …" if len(names) > _NAMES_SHOWN else "")
        return style.dot.join([style.paint(f"{kind} x{len(names)}", "title"), shown or "-"])

    return view


def _attrs(attrs: dict[str, Any]) -> list[str]:
    return [f"{key} {as_str(attrs[key])}" for key in ("release", "environment") if key in attrs]


_VIEWS: Final = {
    "session": _session,
    "sessions": _sessions,
    "check_in": _check_in,
    "attachment": _attachment,
    "log": _named("log", "body"),
    "trace_metric": _named("trace_metric", "name"),
}
