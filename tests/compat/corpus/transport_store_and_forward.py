"""A custom Transport that buffers envelopes and forwards them later itself."""

import os
import urllib.request

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.utils import Dsn


class BufferingTransport(Transport):
    def __init__(self, options: dict[str, object] | None = None) -> None:
        super().__init__(options)
        self.buffer: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.buffer.append(envelope)


def forward(envelopes: list[Envelope], dsn: Dsn) -> None:
    auth = f"Sentry sentry_version=7, sentry_client=forwarder/1.0, sentry_key={dsn.public_key}"
    for envelope in envelopes:
        request = urllib.request.Request(
            f"{dsn.scheme}://{dsn.netloc}{dsn.path}api/{dsn.project_id}/envelope/",
            data=envelope.serialize(),
            headers={"Content-Type": "application/x-sentry-envelope", "X-Sentry-Auth": auth},
        )
        urllib.request.urlopen(request).close()


transport = BufferingTransport()
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], transport=transport, traces_sample_rate=1.0)
sentry_sdk.capture_message("buffered while offline")
with sentry_sdk.start_transaction(op="task", name="offline-sync"):
    pass
forward(transport.buffer, Dsn(os.environ["SENTRY_DSN"]))
