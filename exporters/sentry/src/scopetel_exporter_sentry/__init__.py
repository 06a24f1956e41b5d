"""Sentry wire format and transport for scopetel.

``Dsn`` says where to send, ``Envelope``/``Item`` are the wire format, and
``HttpTransport`` (typed against the ``Transport`` protocol) ships envelopes from a
background thread with rate limits and client reports.
"""

from scopetel_exporter_sentry.client_reports import ClientReports, DiscardReason
from scopetel_exporter_sentry.dsn import Dsn, InvalidDsn
from scopetel_exporter_sentry.envelope import (
    Envelope,
    Item,
    data_category,
    item_quantity,
    parse_envelope,
    serialize_envelope,
)
from scopetel_exporter_sentry.rate_limits import RateLimits
from scopetel_exporter_sentry.transport import HttpTransport, Transport

__all__ = [
    "ClientReports",
    "DiscardReason",
    "Dsn",
    "Envelope",
    "HttpTransport",
    "InvalidDsn",
    "Item",
    "RateLimits",
    "Transport",
    "data_category",
    "item_quantity",
    "parse_envelope",
    "serialize_envelope",
]
