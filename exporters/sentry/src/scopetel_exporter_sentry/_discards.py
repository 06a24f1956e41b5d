"""Which items of an envelope are dropped, and how drops are counted for client reports."""

from collections.abc import Iterable

from scopetel_exporter_sentry.client_reports import ClientReports
from scopetel_exporter_sentry.envelope import Item, data_category, item_quantity
from scopetel_exporter_sentry.rate_limits import RateLimits

__all__ = ["REPORT_CATEGORY", "REPORT_TYPE", "count_items", "split_limited"]

REPORT_TYPE = "client_report"
REPORT_CATEGORY = "internal"
# batches whose size is reported too, in bytes (as sentry_sdk does)
_BYTE_CATEGORIES = {"log_item": "log_byte", "trace_metric": "trace_metric_byte"}


def split_limited(limits: RateLimits, items: Iterable[Item]) -> tuple[list[Item], list[Item]]:
    """(items that may be sent now, items whose category is rate limited)."""
    kept: list[Item] = []
    limited: list[Item] = []
    for item in items:
        (limited if limits.is_limited(data_category(item)) else kept).append(item)
    return kept, limited


def count_items(reports: ClientReports, reason: str, items: Iterable[Item]) -> None:
    """Record every item (but client reports) as discarded for ``reason``.

    A transaction also counts its spans (root included) in the ``span`` category, as
    Sentry expects; that needs its payload decoded, which only happens on a drop. Logs
    and trace metrics also count their payload's bytes (``log_byte``,
    ``trace_metric_byte``).
    """
    for item in items:
        if item.type == REPORT_TYPE:
            continue
        category = data_category(item)
        reports.record(reason, category, item_quantity(item))
        if category in _BYTE_CATEGORIES:
            reports.record(reason, _BYTE_CATEGORIES[category], len(item.payload))
        if item.type == "transaction":
            reports.record(reason, "span", _span_count(item))


def _span_count(item: Item) -> int:
    try:
        spans = item.json().get("spans")
    except (ValueError, AttributeError):
        return 1
    return len(spans) + 1 if isinstance(spans, list) else 1
