"""Rate-limit headers, and the client report counter."""

import threading

import pytest
from scopetel_exporter_sentry import ClientReports, RateLimits
from scopetel_exporter_sentry.rate_limits import parse_rate_limits_header, parse_retry_after


def test_parse_header_entries() -> None:
    header = "60:transaction:key, 2700:default;error;security:organization:quota_exceeded, 5::org"
    assert parse_rate_limits_header(header) == [
        (60.0, frozenset({"transaction"})),
        (2700.0, frozenset({"default", "error", "security"})),
        (5.0, frozenset()),
    ]


def test_parse_header_skips_garbage() -> None:
    assert parse_rate_limits_header("nonsense, :error, -5:error, 10:span:org:reason:ns") == [
        (10.0, frozenset({"span"}))
    ]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), (" 2.5 ", 2.5), (None, 60.0), ("soon", 60.0), ("-1", 60.0), ("nan", 60.0)],
)
def test_retry_after(value: str | None, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


def test_limits_are_per_category_and_expire() -> None:
    limits = RateLimits(clock=lambda: 100.0)
    assert limits.update(status=200, rate_limits="60:transaction:key")
    assert limits.is_limited("transaction", now=100.0)
    assert limits.is_limited("transaction", now=159.9)
    assert not limits.is_limited("transaction", now=160.1)
    assert not limits.is_limited("span", now=100.0)
    assert not limits.is_limited("error", now=100.0)


def test_empty_categories_limit_everything() -> None:
    limits = RateLimits(clock=lambda: 0.0)
    limits.update(status=429, rate_limits="10::organization")
    assert all(limits.is_limited(c, now=5.0) for c in ("error", "span", "internal", "whatever"))
    assert not limits.is_limited("error", now=10.5)


def test_429_without_rate_limits_uses_retry_after() -> None:
    limits = RateLimits(clock=lambda: 0.0)
    assert limits.update(status=429, retry_after="7")
    assert limits.is_limited("error", now=6.9)
    assert not limits.is_limited("error", now=7.1)
    bare = RateLimits(clock=lambda: 0.0)
    bare.update(status=429)
    assert bare.is_limited("error", now=59.0)


def test_other_responses_without_header_change_nothing() -> None:
    limits = RateLimits(clock=lambda: 0.0)
    assert not limits.update(status=200, retry_after="30")
    assert not limits.update(status=503, retry_after="30")
    assert not limits.is_limited("error", now=1.0)


def test_a_longer_limit_is_not_shortened() -> None:
    limits = RateLimits(clock=lambda: 0.0)
    limits.update(status=200, rate_limits="100:error:key")
    limits.update(status=200, rate_limits="1:error:key")
    assert limits.is_limited("error", now=50.0)
    assert limits.limited_until("error") == 100.0


def test_client_reports_count_and_reset() -> None:
    reports = ClientReports()
    assert reports.take() is None
    reports.record("before_send", "error")
    reports.record("before_send", "error", 2)
    reports.record("queue_overflow", "span", 5)
    reports.record("sample_rate", "transaction", 0)  # nothing
    report = reports.take()
    assert report is not None
    assert isinstance(report["timestamp"], float)
    assert report["discarded_events"] == [
        {"reason": "before_send", "category": "error", "quantity": 3},
        {"reason": "queue_overflow", "category": "span", "quantity": 5},
    ]
    assert reports.take() is None
    reports.restore(report)
    assert reports.counts() == {("before_send", "error"): 3, ("queue_overflow", "span"): 5}


def test_client_reports_are_thread_safe() -> None:
    reports = ClientReports()

    def hammer() -> None:
        for _ in range(2000):
            reports.record("network_error", "error")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reports.counts() == {("network_error", "error"): 16000}
