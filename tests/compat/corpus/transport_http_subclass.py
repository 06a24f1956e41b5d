"""A subclass of HttpTransport that inspects envelopes before sending them."""

import os

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import HttpTransport

seen: list[str] = []


class InspectingTransport(HttpTransport):
    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event() or envelope.get_transaction_event()
        for item in envelope.items:
            seen.append(item.type or "?")
        if event is not None and envelope.items[0].payload.json is not None:
            seen.append("json")
        super().capture_envelope(envelope)


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], transport=InspectingTransport, traces_sample_rate=1.0)
sentry_sdk.capture_message("first")
with sentry_sdk.start_transaction(op="task", name="inspected"):
    pass
sentry_sdk.flush()
sentry_sdk.capture_message("saw " + ",".join(seen))
sentry_sdk.flush()
