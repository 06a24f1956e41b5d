"""A Celery application on a redis broker (``REDIS_URL``): tasks that succeed, fail and
retry, one that leaves a tag, a user and a breadcrumb and one that sets nothing (the
scope-leak sequence), tasks that send more tasks, and a redis-py cache use.

``celery -A tasks worker``; ``TASKS_QUEUE`` names the queue, so several workers can
share one broker. With ``TASKS_BEAT=1``, ``celery -A tasks beat`` has a schedule (see
``BEAT_SCHEDULE``).
"""

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from celery import Celery, Task, chain, group
from celery.schedules import crontab
from sdk import sentry_sdk

REDIS_URL = os.environ["REDIS_URL"]
app = Celery("tasks", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_default_queue=os.environ.get("TASKS_QUEUE", "celery"),
    broker_connection_retry_on_startup=True,
    result_expires=300,
)
_LONG_AGO = datetime.now(UTC) - timedelta(days=2)
BEAT_SCHEDULE = {
    # Due at once (last run two days ago), then every minute (or hour): one run each.
    "report-every-minute": {
        "task": "tasks.add",
        "schedule": timedelta(minutes=1),
        "args": (2, 3),
        "last_run_at": _LONG_AGO,
    },
    "cleanup-crontab": {
        "task": "tasks.fail",
        "schedule": crontab(minute="*/1"),
        "args": ("beat cleanup",),
        "last_run_at": _LONG_AGO,
    },
    "excluded-hourly": {
        "task": "tasks.tick",
        "schedule": timedelta(hours=1),
        "args": ("excluded",),
        "last_run_at": _LONG_AGO,
    },
    # Every second: shorter than Sentry's crons can express, so not a monitor.
    "tick-every-second": {"task": "tasks.tick", "schedule": 1.0, "args": ("second",)},
}
if os.environ.get("TASKS_BEAT") == "1":
    app.conf.beat_schedule = BEAT_SCHEDULE
cache = redis.Redis.from_url(REDIS_URL)
log = logging.getLogger("tasks")


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
def fail(label: str, note: str = "") -> None:
    raise ValueError(f"task failed {label}")


@app.task(bind=True, max_retries=1)
def flaky(self: Task, label: str) -> str:
    if self.request.retries == 0:
        raise self.retry(countdown=0, exc=ConnectionError(f"flaky {label}"))
    return f"retried {label}"


@app.task
def remember(label: str) -> str:
    """Leaves data on the scope that must stay with this task (task A of the sequence)."""
    sentry_sdk.set_tag("task.label", label)
    sentry_sdk.set_user({"id": label})
    sentry_sdk.add_breadcrumb(category="task", message=f"crumb {label}")
    sentry_sdk.capture_message(f"remember {label}")
    return label


@app.task
def plain(label: str) -> str:
    """Sets nothing: its event must carry nothing of an earlier task (task B)."""
    sentry_sdk.capture_message(f"plain {label}")
    return label


@app.task
def plain_fail(label: str) -> None:
    """Sets nothing and fails: its unhandled event must carry nothing of an earlier task."""
    raise KeyError(f"plain failure {label}")


@app.task
def handled(label: str) -> None:
    """Reports an error it handles (an errored release-health session)."""
    try:
        raise LookupError(f"handled {label}")
    except LookupError:
        sentry_sdk.capture_exception()


@app.task
def tick(label: str) -> str:
    return label


@app.task
def fan_out(label: str) -> list[str]:
    """Sends more work from inside a task: one task, a chain and a group."""
    ids = [add.apply_async((1, 2)).id]
    ids.append(chain(add.s(1, 2), add.s(3)).apply_async().id)
    ids.append(group(add.s(i, i) for i in range(2)).apply_async().id)
    return ids


@app.task
def cached(label: str) -> Any:
    key = f"cache:{label}"
    if cache.get(key) is None:
        cache.set(key, "value", ex=60)
    log.info("cache %s warm", key)
    return cache.get(key).decode()
