"""capture_checkin with a monitor config (upsert), in progress then ok."""

import os

import sentry_sdk
from sentry_sdk.crons import capture_checkin
from sentry_sdk.crons.consts import MonitorStatus

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], release="jobs@1.4", environment="prod")

config = {
    "schedule": {"type": "crontab", "value": "0 3 * * *"},
    "timezone": "Europe/Vienna",
    "checkin_margin": 5,
    "max_runtime": 30,
    "failure_issue_threshold": 2,
    "recovery_threshold": 1,
}
check_in_id = capture_checkin(
    monitor_slug="backup", status=MonitorStatus.IN_PROGRESS, monitor_config=config
)
capture_checkin(
    monitor_slug="backup", check_in_id=check_in_id, status=MonitorStatus.OK, duration=1.5
)
sentry_sdk.flush()
