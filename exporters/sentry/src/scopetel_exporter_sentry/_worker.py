"""The transport's background thread: takes jobs, sends them, decides what each response means.

Outcomes, per item (client reports themselves are never counted):

* 2xx: delivered.
* 429: rate limits updated from the headers; items dropped as ``ratelimit_backoff``.
* 413 and other 4xx: dropped as ``send_error``, never retried.
* 5xx and network errors (refused, reset, timeout): retried up to ``max_retries`` times with
  bounded exponential backoff; then dropped as ``send_error`` (5xx) or ``network_error``.

A client report that rode along an envelope which was not delivered for a reason that is
not its own fault (429, 5xx, network) is counted again, to be sent later.
"""

import random
import threading
from dataclasses import dataclass

import urllib3
from opentelemetry import context as otel_context

from scopetel_exporter_sentry._discards import (
    REPORT_CATEGORY,
    REPORT_TYPE,
    count_items,
    split_limited,
)
from scopetel_exporter_sentry._http import HttpResponse, HttpSender
from scopetel_exporter_sentry._log import LOGGER, SUPPRESS_INSTRUMENTATION_KEY
from scopetel_exporter_sentry._queue import Job, JobQueue
from scopetel_exporter_sentry.client_reports import ClientReports, DiscardReason
from scopetel_exporter_sentry.envelope import Envelope, Item, serialize_envelope
from scopetel_exporter_sentry.rate_limits import RateLimits, parse_retry_after

__all__ = ["RetryPolicy", "Worker"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently 5xx and network failures are retried."""

    max_retries: int
    backoff_initial: float
    backoff_max: float

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based), jittered down by <= 50%."""
        delay = min(self.backoff_max, self.backoff_initial * 2.0 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay


class Worker:
    """Owns one daemon thread that drains a :class:`JobQueue`."""

    def __init__(
        self,
        queue: JobQueue,
        sender: HttpSender,
        rate_limits: RateLimits,
        reports: ClientReports,
        retry: RetryPolicy,
    ) -> None:
        self._queue = queue
        self._sender = sender
        self._limits = rate_limits
        self._reports = reports
        self._retry = retry
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread unless it already runs (callers serialize calls)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="scopetel-sentry-transport", daemon=True
            )
            self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        # The transport must never trace (or log-capture) its own HTTP calls.
        otel_context.attach(otel_context.set_value(SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            while (job := self._queue.get()) is not None:
                try:
                    self._process(job)
                except Exception:
                    LOGGER.exception("scopetel: unexpected error in the Sentry transport")
                    self._drop(job, DiscardReason.SEND_ERROR, restore_report=True)
                    self._queue.done(job)
        finally:
            if self._queue.stopped:
                self._sender.close()

    def _process(self, job: Job) -> None:
        """Send one job; end it with ``queue.done`` or hand it back with ``queue.retry``."""
        envelope = self._prepare(job)
        if envelope is None:
            self._queue.done(job)
            return
        body = serialize_envelope(envelope)  # a bad envelope fails here, not as a network error
        job.attempts += 1
        try:
            response = self._sender.send(body)
        except (urllib3.exceptions.HTTPError, OSError) as error:  # refused, reset, timeout …
            self._failed(job, DiscardReason.NETWORK_ERROR, repr(error), None)
            return
        self._limits.update(
            status=response.status,
            rate_limits=response.rate_limits,
            retry_after=response.retry_after,
        )
        if 200 <= response.status < 300:
            self._queue.done(job)
        elif response.status == 429:
            LOGGER.debug("scopetel: Sentry is rate limiting (HTTP 429)")
            self._drop(job, DiscardReason.RATELIMIT_BACKOFF, restore_report=True)
            self._queue.done(job)
        elif response.status >= 500:
            self._failed(job, DiscardReason.SEND_ERROR, f"HTTP {response.status}", response)
        else:
            LOGGER.warning("scopetel: Sentry rejected an envelope with HTTP %s", response.status)
            self._drop(job, DiscardReason.SEND_ERROR)
            self._queue.done(job)

    def _prepare(self, job: Job) -> Envelope | None:
        """The envelope to send now: limited items removed, a client report attached."""
        if job.envelope is None:  # a standalone client report was asked for
            if job.report is None and not self._limits.is_limited(REPORT_CATEGORY):
                job.report = self._reports.take()
            if job.report is None:
                return None
            return Envelope(items=[Item.from_json(REPORT_TYPE, job.report)])
        kept, limited = split_limited(self._limits, job.envelope.items)
        count_items(self._reports, DiscardReason.RATELIMIT_BACKOFF, limited)
        job.envelope = Envelope(job.envelope.headers, kept)
        if not kept:
            self._restore_report(job)
            return None
        if job.attempts == 0 and not self._limits.is_limited(REPORT_CATEGORY):
            job.report = self._reports.take()
        if job.report is None:
            return job.envelope
        return Envelope(job.envelope.headers, [*kept, Item.from_json(REPORT_TYPE, job.report)])

    def _failed(self, job: Job, reason: str, what: str, response: HttpResponse | None) -> None:
        """A retryable failure: retry later, or drop for ``reason`` once retries are used up."""
        if job.attempts <= self._retry.max_retries:
            retry_after = None
            if response is not None and response.retry_after is not None:
                retry_after = parse_retry_after(response.retry_after, default=0.0)
            delay = self._retry.delay(job.attempts, retry_after)
            LOGGER.debug("scopetel: sending to Sentry failed (%s); retrying in %.2fs", what, delay)
            if self._queue.retry(job, delay):
                return
        else:
            LOGGER.warning(
                "scopetel: dropping an envelope after %d attempts: %s", job.attempts, what
            )
        self._drop(job, reason, restore_report=True)
        self._queue.done(job)

    def _drop(self, job: Job, reason: str, *, restore_report: bool = False) -> None:
        if job.envelope is not None:
            count_items(self._reports, reason, job.envelope.items)
        if restore_report:
            self._restore_report(job)

    def _restore_report(self, job: Job) -> None:
        if job.report is not None:
            self._reports.restore(job.report)
            job.report = None
