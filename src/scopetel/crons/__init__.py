"""Cron monitors: check-ins that tell Sentry a scheduled job ran (``sentry_sdk.crons``).

import scopetel

@scopetel.monitor(monitor_slug="nightly-report")
def nightly_report(): ...

with scopetel.monitor(monitor_slug="cleanup", monitor_config={...}):
    cleanup()

check_in_id = scopetel.capture_checkin("import", status=MonitorStatus.IN_PROGRESS)
...
scopetel.capture_checkin("import", check_in_id, MonitorStatus.OK, duration=12.5)
"""

from scopetel.crons.api import capture_checkin
from scopetel.crons.consts import MonitorStatus
from scopetel.crons.decorator import monitor

__all__ = ["MonitorStatus", "capture_checkin", "monitor"]
