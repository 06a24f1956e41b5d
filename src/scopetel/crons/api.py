"""``capture_checkin``: one ``check_in`` envelope item, carrying the current trace.

The payload is what sentry-sdk 2.75 sends: ``check_in_id``, ``monitor_slug``,
``status``, ``duration`` (seconds), ``environment``, ``release``, the optional
``monitor_config`` (schedule, margins, time zone …), and ``contexts.trace`` (the
active span's ids, else the isolation scope's trace) so that Sentry links the check-in
to errors of the same run. The envelope header carries the trace's DSC.
"""

import logging
import time
from collections.abc import Mapping
from typing import Any, Final

from scopetel_exporter_sentry.envelope import Envelope

from scopetel._client import get_client, json_item, now_iso
from scopetel._events.assembly import HOSTNAME, sdk_info
from scopetel._internal_errors import guarded
from scopetel._random_ids import uuid4_hex
from scopetel._serialize import to_json_safe
from scopetel._tracing.trace_identity import current_dsc, scope_dsc, scope_trace_ids
from scopetel._tracing.transaction import get_current_span
from scopetel.crons.consts import MonitorStatus

LOGGER: Final = logging.getLogger("scopetel")
STATUSES: Final = frozenset({MonitorStatus.IN_PROGRESS, MonitorStatus.OK, MonitorStatus.ERROR})


@guarded(None)
def capture_checkin(
    monitor_slug: str | None = None,
    check_in_id: str | None = None,
    status: str | None = None,
    duration: float | None = None,
    monitor_config: Mapping[str, Any] | None = None,
) -> str | None:
    """Send a check-in; its ``check_in_id`` (new when not given), or None when not sent."""
    client = get_client()
    if client is None or not client.sending:
        return None
    if not monitor_slug:
        LOGGER.debug("scopetel: capture_checkin without a monitor_slug; not sent")
        return None
    if status not in STATUSES:
        LOGGER.debug("scopetel: check-in status %r is not one of %s", status, sorted(STATUSES))
    check_in_id = str(check_in_id) if check_in_id else uuid4_hex()
    options = client.options
    check_in: dict[str, Any] = {
        "type": "check_in",
        "monitor_slug": str(monitor_slug),
        "check_in_id": check_in_id,
        "status": status,
        "duration": _seconds(duration),
        "environment": options.environment,
        "release": options.release,
        "timestamp": time.time(),
        "contexts": {"trace": _trace_context()},
        "platform": "python",
        "sdk": sdk_info(),
    }
    check_in["server_name"] = options.server_name or HOSTNAME
    if monitor_config:
        check_in["monitor_config"] = to_json_safe(dict(monitor_config))
    check_in["event_id"] = event_id = uuid4_hex()
    headers: dict[str, Any] = {"event_id": event_id, "sent_at": now_iso()}
    dsc = current_dsc() or scope_dsc()  # no span: the isolation scope's trace, as events
    headers["trace"] = dsc.to_envelope_header()
    client.send(Envelope(headers, [json_item("check_in", check_in)]))
    LOGGER.debug("scopetel: check-in %s: %s -> %s", check_in_id, monitor_slug, status)
    return check_in_id


def _seconds(duration: object) -> float | None:
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return float(duration)
    return None


def _trace_context() -> dict[str, Any]:
    span = get_current_span()
    if span is not None:
        return {"trace_id": span.trace_id, "span_id": span.span_id}
    trace_id, span_id = scope_trace_ids()
    return {"trace_id": f"{trace_id:032x}", "span_id": f"{span_id:016x}"}
