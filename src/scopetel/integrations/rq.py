"""``sentry_sdk.integrations.rq``: accepted; no RQ instrumentation yet."""

from scopetel.integrations._base import LOGGER, Integration, accept, require

require("rq", "RQ")


class RqIntegration(Integration):
    """Named so that existing set-ups run; scopetel has no RQ instrumentation yet (and
    OpenTelemetry has none), so jobs are not traced.

    Accepted without effect: ``monitor_cron_jobs``, ``exclude_cron_jobs``.
    """

    identifier = "rq"

    def __init__(self, monitor_cron_jobs: bool = False, exclude_cron_jobs: list[str] | None = None):
        self.monitor_cron_jobs = monitor_cron_jobs
        self.exclude_cron_jobs = exclude_cron_jobs

    def setup(self) -> None:
        LOGGER.debug("scopetel: rq: no instrumentation yet; jobs are not traced")
        accept(self, {"monitor_cron_jobs": False, "exclude_cron_jobs": None})
