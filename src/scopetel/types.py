"""``sentry_sdk.types``: names of the shapes the API passes around, for type hints.

They are plain aliases (an event is a ``dict``), so annotations written for sentry_sdk
type-check and run here unchanged.
"""

from collections.abc import Callable
from typing import Any

__all__ = [
    "Attributes",
    "Breadcrumb",
    "BreadcrumbHint",
    "Event",
    "EventDataCategory",
    "ExcInfo",
    "Hint",
    "Log",
    "Metric",
    "MonitorConfig",
    "SamplingContext",
    "SpanJSON",
]

Event = dict[str, Any]
Hint = dict[str, Any]
Breadcrumb = dict[str, Any]
BreadcrumbHint = dict[str, Any]
SamplingContext = dict[str, Any]
MonitorConfig = dict[str, Any]
Attributes = dict[str, Any]
Log = dict[str, Any]
Metric = dict[str, Any]
SpanJSON = dict[str, Any]
EventDataCategory = str
ExcInfo = tuple[type[BaseException] | None, BaseException | None, Any]
EventProcessor = Callable[[Event, Hint], Event | None]
