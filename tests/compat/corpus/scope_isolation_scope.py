"""isolation_scope() per unit of work: each job's data stays in its job."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def handle(job_id: int, tenant: str) -> None:
    with sentry_sdk.isolation_scope() as scope:
        scope.set_tag("tenant", tenant)
        sentry_sdk.set_user({"id": f"user-{job_id}"})
        sentry_sdk.add_breadcrumb(message=f"job {job_id} started", category="job")
        if job_id % 2:
            sentry_sdk.capture_message(f"Job {job_id} needs attention")


for job_id, tenant in enumerate(["acme", "globex", "initech", "umbrella"]):
    handle(job_id, tenant)
sentry_sdk.capture_message("All jobs handled")
sentry_sdk.flush()
