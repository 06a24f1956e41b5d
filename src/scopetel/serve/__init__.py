"""``scopetel serve``: a local receiver for Sentry envelopes and OTLP/HTTP traces.

It prints each transaction as a span tree, each error as one line with its culprit
frame, OTLP spans as one tree per trace, and appends every item to a JSON-lines file.
Use it from the command line (``scopetel serve --help``) or in tests::

    with Receiver(port=0, out=io.StringIO()) as receiver:
        scopetel.init(dsn=receiver.dsn, traces_sample_rate=1.0)
        ...
        receiver.wait_for(lambda records: len(records) >= 2, timeout=5)
"""

from scopetel.serve._receiver import (
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    HostNotAllowed,
    Receiver,
    is_loopback,
)
from scopetel.serve._records import Received

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "HostNotAllowed",
    "Received",
    "Receiver",
    "is_loopback",
]
