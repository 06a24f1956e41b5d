"""The non-blocking transport that ships envelopes to Sentry.

``capture_envelope`` only filters (rate limits) and queues; a lazily started daemon thread
does the HTTP. Nothing here raises into the application or waits on the network in an
application thread, and ``flush``/``close`` never wait longer than their timeout.

What is counted in client reports (reason, per data category and quantity):

* ``ratelimit_backoff``: items of a rate-limited category, dropped at capture or before a
  send, and items of an envelope answered 429;
* ``queue_overflow``: envelopes that did not fit the queue (by count or by bytes);
* ``send_error``: envelopes rejected with 4xx (413 included), or still failing with 5xx
  after the retries;
* ``network_error``: envelopes still failing to connect/send after the retries;
* whatever callers report with ``record_lost`` (``before_send``, ``sample_rate`` …).

When ``close``'s timeout expires with envelopes still queued, waiting for a retry or in
flight, they are abandoned to the daemon worker (which stops after its current request) and
counted as ``network_error`` (with the counts a client report riding along carried): the
counts stay in ``client_reports`` for whoever reads them, and one warning says how many
envelopes were not delivered. Envelopes captured after ``close`` are ignored.

After ``os.fork()`` the child starts with an empty queue, fresh counts, a new HTTP pool and
its own worker (started lazily); what the parent had queued stays the parent's to send.
"""

import os
import threading
import time
import weakref
from functools import partial
from typing import Protocol

import urllib3

from scopetel_exporter_sentry._discards import count_items, split_limited
from scopetel_exporter_sentry._http import HttpSender, select_proxy
from scopetel_exporter_sentry._log import LOGGER, report_internal_error
from scopetel_exporter_sentry._queue import Job, JobQueue
from scopetel_exporter_sentry._worker import RetryPolicy, Worker
from scopetel_exporter_sentry.client_reports import ClientReports, DiscardReason
from scopetel_exporter_sentry.dsn import Dsn
from scopetel_exporter_sentry.envelope import Envelope
from scopetel_exporter_sentry.rate_limits import RateLimits

__all__ = ["DEFAULT_CLIENT", "DEFAULT_MAX_QUEUE_BYTES", "HttpTransport", "Transport"]

DEFAULT_CLIENT = "scopetel/0.1.0"
DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
_ITEM_OVERHEAD = 128  # allowance for an item header when estimating queued bytes


class Transport(Protocol):
    """What the rest of scopetel needs from a transport (tests may substitute their own)."""

    def capture_envelope(self, envelope: Envelope) -> None:
        """Queue ``envelope`` for sending; never blocks, never raises."""

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        """Count a discard decided before the transport (``before_send``, ``sample_rate`` …)."""

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for what was queued; True if all of it was handled."""

    def close(self, timeout: float) -> None:
        """Flush within ``timeout`` seconds, then stop; idempotent."""


class HttpTransport:
    """Sends envelopes to the DSN's project with urllib3, from one background thread."""

    def __init__(
        self,
        dsn: Dsn | str,
        *,
        client: str = DEFAULT_CLIENT,
        max_queue_items: int = 100,
        max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES,
        timeout: float = 5.0,
        max_retries: int = 3,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        gzip_level: int = 6,
        http_proxy: str | None = None,
        https_proxy: str | None = None,
        ca_certs: str | None = None,
    ) -> None:
        """Configure the transport; invalid arguments raise ``ValueError`` (``InvalidDsn``).

        ``timeout`` bounds connecting plus reading one response. Proxies default to the
        ``HTTP_PROXY``/``HTTPS_PROXY`` variables (honouring ``NO_PROXY``); ``""`` disables.
        """
        self._dsn = dsn if isinstance(dsn, Dsn) else Dsn.parse(dsn)
        _check(max_queue_items >= 1, "max_queue_items must be at least 1")
        _check(max_queue_bytes >= 1, "max_queue_bytes must be at least 1")
        _check(timeout > 0, "timeout must be positive")
        _check(max_retries >= 0, "max_retries must not be negative")
        _check(0 <= backoff_initial <= backoff_max, "need 0 <= backoff_initial <= backoff_max")
        _check(0 <= gzip_level <= 9, "gzip_level must be between 0 (off) and 9")
        self._max_items = max_queue_items
        self._max_bytes = max_queue_bytes
        self._retry = RetryPolicy(max_retries, backoff_initial, backoff_max)
        self._limits = RateLimits()
        self._sender = _sender(
            self._dsn, client, timeout, gzip_level, http_proxy, https_proxy, ca_certs
        )
        self._closed = False
        self._reset_state()
        os.register_at_fork(after_in_child=partial(_reset_in_child, weakref.ref(self)))

    def _reset_state(self) -> None:
        """Everything a forked child must not share with its parent."""
        self._lock = threading.Lock()
        self._queue = JobQueue(self._max_items, self._max_bytes)
        self._reports = ClientReports()
        self._worker = Worker(self._queue, self._sender, self._limits, self._reports, self._retry)

    @property
    def dsn(self) -> Dsn:
        return self._dsn

    @property
    def rate_limits(self) -> RateLimits:
        return self._limits

    @property
    def client_reports(self) -> ClientReports:
        """The pending discard counts (not yet sent to Sentry)."""
        return self._reports

    def capture_envelope(self, envelope: Envelope) -> None:
        """Queue ``envelope`` (a shallow copy); do not modify its items afterwards."""
        try:
            if self._closed:
                LOGGER.debug("scopetel: envelope captured after the transport was closed")
                return
            kept, limited = split_limited(self._limits, envelope.items)
            count_items(self._reports, DiscardReason.RATELIMIT_BACKOFF, limited)
            if not kept:
                return
            size = _ITEM_OVERHEAD + sum(len(item.payload) + _ITEM_OVERHEAD for item in kept)
            if self._queue.put(Envelope(dict(envelope.headers), kept), size) is None:
                LOGGER.debug("scopetel: transport queue full, dropping an envelope")
                count_items(self._reports, DiscardReason.QUEUE_OVERFLOW, kept)
                return
            self._ensure_worker()
        except Exception:
            report_internal_error("HttpTransport.capture_envelope")

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        try:
            self._reports.record(reason, category, quantity)
        except Exception:
            report_internal_error("HttpTransport.record_lost")

    def flush(self, timeout: float) -> bool:
        """Wait for everything queued before the call, then send pending client reports.

        True when all of it was sent or definitively dropped within ``timeout`` seconds.
        """
        try:
            deadline = time.monotonic() + max(0.0, timeout)
            queue = self._queue
            if not queue.wait_done(queue.last_seq, deadline):
                return False
            if not self._reports or queue.stopped:
                return True
            seq = queue.put(None, 0, bounded=False)
            if seq is None:
                return True
            self._ensure_worker()
            return queue.wait_done(seq, deadline)
        except Exception:
            report_internal_error("HttpTransport.flush")
            return False

    def close(self, timeout: float) -> None:
        """Flush within ``timeout`` seconds, then stop the worker; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.flush(timeout)
        finally:
            try:
                self._count_abandoned(self._queue.stop())
                if not self._worker.started:
                    self._sender.close()
            except Exception:
                report_internal_error("HttpTransport.close")

    def _count_abandoned(self, jobs: list[Job]) -> None:
        envelopes = [job for job in jobs if job.envelope is not None]
        for job in jobs:
            if job.envelope is not None:
                count_items(self._reports, DiscardReason.NETWORK_ERROR, job.envelope.items)
            if job.report is not None:
                self._reports.restore(job.report)
                job.report = None
        if envelopes:
            LOGGER.warning(
                "scopetel: shutdown timed out; %d envelope(s) not delivered", len(envelopes)
            )

    def _ensure_worker(self) -> None:
        if not self._worker.started:
            with self._lock:
                if not self._queue.stopped:
                    self._worker.start()

    def _after_fork_in_child(self) -> None:
        self._sender.reset_after_fork()
        self._reset_state()


def _reset_in_child(ref: weakref.ref[HttpTransport]) -> None:
    """The ``after_in_child`` fork hook; holds the transport weakly so it can be collected."""
    transport = ref()
    if transport is not None:
        try:
            transport._after_fork_in_child()
        except Exception:
            LOGGER.exception("scopetel: could not reset the Sentry transport after fork")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _sender(
    dsn: Dsn,
    client: str,
    timeout: float,
    gzip_level: int,
    http_proxy: str | None,
    https_proxy: str | None,
    ca_certs: str | None,
) -> HttpSender:
    """An HTTP sender; a malformed proxy from the environment is logged and ignored."""
    proxy = select_proxy(dsn, http_proxy, https_proxy)
    explicit = http_proxy is not None or (dsn.scheme == "https" and https_proxy is not None)
    build = partial(
        HttpSender, dsn, client=client, timeout=timeout, gzip_level=gzip_level, ca_certs=ca_certs
    )
    try:
        return build(proxy=proxy)
    except (ValueError, urllib3.exceptions.HTTPError):
        if explicit or proxy is None:
            raise
    LOGGER.warning("scopetel: ignoring the unusable proxy URL set in HTTP(S)_PROXY")
    return build(proxy=None)
