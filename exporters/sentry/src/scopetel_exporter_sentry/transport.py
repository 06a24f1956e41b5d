"""The non-blocking transport that ships envelopes to Sentry.

``capture_envelope`` only filters (rate limits) and queues; lazily started daemon threads
do the HTTP, several requests at a time over a pool of keep-alive connections (direct:
one ``sendall`` per envelope and the standard library's response parser, about half the
CPU per envelope of urllib3, see ``_connections``; through a proxy: urllib3). Nothing here
raises into the application or waits on the network in an application thread, and
``flush``/``close`` never wait longer than their timeout.

``HttpTransport(dsn, **options)``; every option is keyword-only:

* ``client``: the ``sentry_client`` name/version in the auth header and the User-Agent.
* ``max_queue_items`` (100; ``scopetel.init`` passes ``transport_queue_size``, 1000) and
  ``max_queue_bytes`` (16 MiB): bounds of the queue of envelopes waiting to be sent
  (bytes estimated from payload sizes); envelopes beyond are dropped as ``queue_overflow``.
  Envelopes in flight (at most ``pool_size``) are outside the bounds.
* ``pool_size`` (24): at most this many envelopes in flight at once, each from its own
  sender thread over its own keep-alive connection. Threads are added only while
  envelopes pile up *and* sends are slow (a distant or slow Sentry: at a 100 ms round
  trip a thread delivers ~10 envelopes/s, hence the default), so a quiet application
  keeps one or two; a busy one with a nearby Sentry a few (a send's time includes waiting
  for the GIL); more threads working at once would only compete with the application for
  the GIL.
* ``thread_linger`` (60 s): a sender thread without work for that long ends.
* ``timeout`` (5 s): bounds connecting, sending, and each wait for the answer (through
  a proxy: connecting plus reading the answer).
* ``max_retries`` (3), ``backoff_initial`` (0.5 s), ``backoff_max`` (30 s): 5xx answers
  and network errors are retried with jittered exponential backoff (``Retry-After``
  honoured up to ``backoff_max``).
* ``gzip_level`` (2; 0 sends plain bodies): a fast level, as CPU spent here is taken
  from the application (sender threads share the GIL). Measured on a Flask transaction
  (9.7 KB, 20 spans): level 2 ~29 µs for 1,796 bytes, level 6 ~55 µs for 1,646 (the
  former default, with zlib's default 32 KB window: ~100 µs); on 28 KB of varied events
  79 µs for 5,875 bytes against 218 µs for 5,152. The window is 16 KB: setting up zlib's
  default state costs more than compressing a transaction. (sentry-sdk 2.75: gzip 9, or
  brotli 4 when installed.)
* ``http_proxy``/``https_proxy``: proxy URLs (an https DSN prefers ``https_proxy``, and
  tunnels through it with ``CONNECT``); ``None`` falls back to the
  ``HTTP_PROXY``/``HTTPS_PROXY`` variables honouring ``NO_PROXY``; ``""`` disables.
* ``ca_certs``: a CA bundle file to verify Sentry's certificate with (default: the
  system's trust store).
* ``keep_alive`` (False): TCP keepalive probes on the connections (as sentry_sdk's
  ``keep_alive=True``), for networks that silently drop idle connections.

What is counted in client reports (reason, per data category and quantity):

* ``ratelimit_backoff``: items of a rate-limited category, dropped at capture or before a
  send, and items of an envelope answered 429;
* ``queue_overflow``: envelopes that did not fit the queue (by count or by bytes), and
  envelopes never attempted because ``close``'s timeout expired while they were queued;
* ``send_error``: envelopes rejected with 4xx (413 included), or still failing with 5xx
  after the retries (or waiting to retry a 5xx when closed);
* ``network_error``: envelopes still failing to connect/send after the retries (or waiting
  to retry a network error when closed);
* whatever callers report with ``record_lost`` (``before_send``, ``sample_rate`` …).

A client report riding on an envelope that was not delivered, whatever the answer, is
counted again to go out later. When ``close``'s timeout expires, queued envelopes are
counted as above and one warning says how many were not sent; envelopes *in flight* are
left to their threads, which count each one once its answer is known, so nothing is
counted twice: a late 2xx is delivered and not counted, a failure is counted and not
retried. ``flush`` after ``close`` waits for those answers. Envelopes captured after
``close`` are ignored.

After ``os.fork()`` the child starts with an empty queue, fresh counts, a new HTTP pool and
its own threads (started lazily); what the parent had queued stays the parent's to send.
"""

import os
import threading
import time
import weakref
from functools import partial
from typing import Any, Protocol

import urllib3

from scopetel_exporter_sentry._delivery import Delivery, RetryPolicy
from scopetel_exporter_sentry._discards import count_items, split_limited
from scopetel_exporter_sentry._http import HttpSender, select_proxy
from scopetel_exporter_sentry._log import LOGGER, report_internal_error
from scopetel_exporter_sentry._queue import Job, JobQueue
from scopetel_exporter_sentry._worker import WorkerPool
from scopetel_exporter_sentry.client_reports import ClientReports, DiscardReason
from scopetel_exporter_sentry.dsn import Dsn
from scopetel_exporter_sentry.envelope import Envelope
from scopetel_exporter_sentry.rate_limits import RateLimits

__all__ = [
    "DEFAULT_CLIENT",
    "DEFAULT_MAX_QUEUE_BYTES",
    "DEFAULT_POOL_SIZE",
    "HttpTransport",
    "Transport",
]

DEFAULT_CLIENT = "scopetel/0.1.0"
DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
DEFAULT_POOL_SIZE = 24
_ITEM_OVERHEAD = 128  # allowance for an item header when estimating queued bytes
_LONGEST_WAIT = 86_400.0  # timeouts are clamped to a day: waits overflow on inf


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
    """Sends envelopes to the DSN's project over HTTP, from background threads."""

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
        gzip_level: int = 2,
        http_proxy: str | None = None,
        https_proxy: str | None = None,
        ca_certs: str | None = None,
        keep_alive: bool = False,
        pool_size: int = DEFAULT_POOL_SIZE,
        thread_linger: float = 60.0,
    ) -> None:
        """Configure the transport (the options are described in the module docstring);
        invalid arguments raise ``ValueError`` (``InvalidDsn`` for the DSN)."""
        self._dsn = dsn if isinstance(dsn, Dsn) else Dsn.parse(dsn)
        _check(max_queue_items >= 1, "max_queue_items must be at least 1")
        _check(max_queue_bytes >= 1, "max_queue_bytes must be at least 1")
        _check(0 < timeout <= _LONGEST_WAIT, "timeout must be positive (at most a day)")
        _check(max_retries >= 0, "max_retries must not be negative")
        _check(
            0 <= backoff_initial <= backoff_max <= _LONGEST_WAIT,
            "need 0 <= backoff_initial <= backoff_max (at most a day)",
        )
        _check(0 <= gzip_level <= 9, "gzip_level must be between 0 (off) and 9")
        _check(pool_size >= 1, "pool_size must be at least 1")
        _check(0 < thread_linger <= _LONGEST_WAIT, "thread_linger must be positive")
        self._max_items = max_queue_items
        self._max_bytes = max_queue_bytes
        self._pool_size = pool_size
        self._linger = thread_linger
        self._retry = RetryPolicy(max_retries, backoff_initial, backoff_max)
        self._limits = RateLimits()
        self._sender = _sender(
            self._dsn,
            (http_proxy, https_proxy),
            client=client,
            timeout=timeout,
            gzip_level=gzip_level,
            ca_certs=ca_certs,
            pool_size=pool_size,
            keep_alive=keep_alive,
        )
        self._closed = False
        self._reset_state()
        os.register_at_fork(after_in_child=partial(_reset_in_child, weakref.ref(self)))

    def _reset_state(self) -> None:
        """Everything a forked child must not share with its parent."""
        self._lock = threading.Lock()
        self._queue = JobQueue(self._max_items, self._max_bytes)
        self._reports = ClientReports()
        delivery = Delivery(self._queue, self._sender, self._limits, self._reports, self._retry)
        self._worker = WorkerPool(
            self._queue, delivery, self._sender, size=self._pool_size, linger=self._linger
        )

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
            self._worker.ensure()
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
        After ``close`` it waits for the envelopes that were still in flight.
        """
        try:
            deadline = time.monotonic() + _seconds(timeout)
            queue = self._queue
            if not queue.wait_done(queue.last_seq, deadline):
                return False
            if not self._reports or queue.stopped:
                return True
            seq = queue.put(None, 0, bounded=False)
            if seq is None:
                return True
            self._worker.ensure()
            return queue.wait_done(seq, deadline)
        except Exception:
            report_internal_error("HttpTransport.flush")
            return False

    def close(self, timeout: float) -> None:
        """Flush within ``timeout`` seconds, then stop the threads; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        deadline = time.monotonic() + _seconds(timeout)
        try:
            self.flush(timeout)
        finally:
            try:
                self._abandon(*self._queue.stop())
                if self._queue.senders == 0:
                    self._sender.close()
                self._worker.join(deadline)
            except Exception:
                report_internal_error("HttpTransport.close")

    def _abandon(self, jobs: list[Job], in_flight: int) -> None:
        """Count what ``close`` leaves unsent (never attempted: ``queue_overflow``; waiting
        for a retry: its last failure's reason) and keep the reports riding on it."""
        envelopes = [job for job in jobs if job.envelope is not None]
        for job in jobs:
            if job.envelope is not None:
                reason = job.failure or DiscardReason.QUEUE_OVERFLOW
                count_items(self._reports, reason, job.envelope.items)
            if job.report is not None:
                self._reports.restore(job.report)
                job.report = None
        if envelopes or in_flight:
            LOGGER.warning(
                "scopetel: shutdown timed out; %d envelope(s) not sent, %d still in flight",
                len(envelopes),
                in_flight,
            )

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


def _seconds(timeout: float) -> float:
    """A timeout clamped to [0, a day] (NaN is 0): ``inf`` would overflow a lock's wait."""
    return min(max(timeout, 0.0), _LONGEST_WAIT) if timeout == timeout else 0.0


def _sender(dsn: Dsn, proxies: tuple[str | None, str | None], **options: Any) -> HttpSender:
    """An HTTP sender; a malformed proxy from the environment is logged and ignored."""
    http_proxy, https_proxy = proxies
    proxy = select_proxy(dsn, http_proxy, https_proxy)
    explicit = http_proxy is not None or (dsn.scheme == "https" and https_proxy is not None)
    build = partial(HttpSender, dsn, **options)
    try:
        return build(proxy=proxy)
    except (ValueError, urllib3.exceptions.HTTPError):
        if explicit or proxy is None:
            raise
    LOGGER.warning("scopetel: ignoring the unusable proxy URL set in HTTP(S)_PROXY")
    return build(proxy=None)
