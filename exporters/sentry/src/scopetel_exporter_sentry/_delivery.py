"""Sending one job and deciding what its response means; any sender thread may call it.

Outcomes, per item (client reports themselves are never counted):

* 2xx: delivered.
* 429: rate limits updated from the headers; items dropped as ``ratelimit_backoff``.
* 413 and other 4xx: dropped as ``send_error``, never retried.
* 5xx and network errors (refused, reset, timeout): retried up to ``max_retries`` times with
  bounded exponential backoff; then dropped as ``send_error`` (5xx) or ``network_error``.
  Once the queue is stopped (the transport closed) a failure is not retried but dropped.

A client report that rode along an envelope which was not delivered is counted again, to
be sent later, whatever the answer was: a 4xx (say, 413 for a large event) rejects the
whole envelope, the report with it.
"""

import random
from dataclasses import dataclass

from scopetel_exporter_sentry._discards import (
    REPORT_CATEGORY,
    REPORT_TYPE,
    count_items,
    split_limited,
)
from scopetel_exporter_sentry._http import NETWORK_ERRORS, HttpResponse, HttpSender
from scopetel_exporter_sentry._log import LOGGER
from scopetel_exporter_sentry._queue import Job, JobQueue
from scopetel_exporter_sentry.client_reports import ClientReports, DiscardReason
from scopetel_exporter_sentry.envelope import Envelope, Item, serialize_envelope
from scopetel_exporter_sentry.rate_limits import RateLimits, parse_retry_after

__all__ = ["Delivery", "RetryPolicy"]


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


class Delivery:
    """Sends jobs taken from a :class:`JobQueue` and ends each with ``done`` or ``retry``."""

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

    def process(self, job: Job) -> None:
        """Send one job; never raises (a bug is logged and the job dropped as ``send_error``)."""
        try:
            self._process(job)
        except Exception:
            LOGGER.exception("scopetel: unexpected error in the Sentry transport")
            self._drop(job, DiscardReason.SEND_ERROR)
            self._queue.done(job)

    def _process(self, job: Job) -> None:
        envelope = self._prepare(job)
        if envelope is None:
            self._queue.done(job)
            return
        body = serialize_envelope(envelope)  # a bad envelope fails here, not as a network error
        job.attempts += 1
        try:
            response = self._sender.send(body)
        except NETWORK_ERRORS as error:  # refused, reset, timeout …
            self._failed(job, DiscardReason.NETWORK_ERROR, repr(error), None)
            return
        self._limits.update(
            status=response.status,
            rate_limits=response.rate_limits,
            retry_after=response.retry_after,
        )
        if 200 <= response.status < 300:
            self._queue.done(job)
            return
        if response.status == 429:
            LOGGER.debug("scopetel: Sentry is rate limiting (HTTP 429)")
            self._drop(job, DiscardReason.RATELIMIT_BACKOFF)
        elif response.status >= 500:
            self._failed(job, DiscardReason.SEND_ERROR, f"HTTP {response.status}", response)
            return
        elif response.status == 413:
            LOGGER.error(
                "scopetel: Sentry discarded an envelope of %d bytes as too large (413)", len(body)
            )
            self._drop(job, DiscardReason.SEND_ERROR)
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
        job.failure = reason
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
        self._drop(job, reason)
        self._queue.done(job)

    def _drop(self, job: Job, reason: str) -> None:
        """Count the job's items as discarded for ``reason``; its client report is kept."""
        if job.envelope is not None:
            count_items(self._reports, reason, job.envelope.items)
        self._restore_report(job)

    def _restore_report(self, job: Job) -> None:
        if job.report is not None:
            self._reports.restore(job.report)
            job.report = None
