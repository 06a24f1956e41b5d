"""An envelope built with sentry_sdk.envelope and handed to the client's transport."""

import os

import sentry_sdk
from sentry_sdk.envelope import Envelope, Item, PayloadRef

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

envelope = Envelope(headers={"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"})
envelope.add_event(
    {
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
        "message": "Imported from the legacy queue",
        "level": "info",
        "platform": "python",
    }
)
envelope.add_item(
    Item(payload=PayloadRef(bytes=b"line 1\nline 2\n"), type="attachment", filename="import.log")
)
client = sentry_sdk.get_client()
if client.transport is None:
    raise SystemExit("no transport")
client.transport.capture_envelope(envelope)
sentry_sdk.flush()
