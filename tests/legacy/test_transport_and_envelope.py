"""sentry_sdk's transport and envelope API: custom Transport classes and instances,
function transports, HttpTransport subclasses (to a real loopback Sentry endpoint),
envelopes built by hand."""

import io
import warnings
from typing import Any

import pytest
from scopetel_exporter_sentry import envelope as wire_envelope
from scopetel_exporter_sentry.envelope import parse_envelope

import scopetel as sentry_sdk
from scopetel.envelope import Envelope, Item, PayloadRef
from scopetel.transport import HttpTransport, Transport
from scopetel.utils import Dsn
from tests.support.sentry_receiver import SentryReceiver

DSN = "https://key@o7.ingest.sentry.io/42"


class Recording(Transport):
    made_with: list[dict[str, Any] | None] = []

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        Recording.made_with.append(options)
        self.envelopes: list[Envelope] = []
        self.lost: list[tuple[str, str | None, int]] = []
        self.flushed = self.killed = False

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def record_lost_event(
        self, reason: str, data_category: str | None = None, item: Any = None, *, quantity: int = 1
    ) -> None:
        self.lost.append((reason, data_category, quantity))

    def flush(self, timeout: float, callback: object = None) -> None:
        self.flushed = True

    def kill(self) -> None:
        self.killed = True


@pytest.fixture(autouse=True)
def _own_scopes() -> Any:
    with sentry_sdk.isolation_scope():
        yield
    sentry_sdk.init()  # no transport for the tests that follow


def test_a_transport_instance_gets_sentry_sdk_envelopes_even_without_a_dsn() -> None:
    transport = Recording()
    sentry_sdk.init(transport=transport, traces_sample_rate=1.0, sample_rate=0.0)
    assert sentry_sdk.get_client().transport is transport
    sentry_sdk.capture_message("sampled out")
    sentry_sdk.init(transport=transport, traces_sample_rate=1.0)
    sentry_sdk.capture_message("hello")
    with sentry_sdk.start_transaction(name="work"):
        pass
    sentry_sdk.flush()
    event_envelope, transaction_envelope = transport.envelopes
    event = event_envelope.get_event()
    assert event is not None and event["message"] == "hello"
    assert event_envelope.items[0].payload.json == event and event_envelope.items[0].type == "event"
    assert transaction_envelope.get_event() is None
    assert (transaction_envelope.get_transaction_event() or {})["transaction"] == "work"
    assert event_envelope.headers["event_id"] == event["event_id"]
    assert ("sample_rate", "error", 1) in transport.lost and transport.flushed


def test_a_transport_class_is_made_with_the_options_only_with_a_dsn() -> None:
    Recording.made_with.clear()
    sentry_sdk.init(transport=Recording)
    assert Recording.made_with == [] and sentry_sdk.get_client().transport is None
    sentry_sdk.init(dsn=DSN, transport=Recording, environment="ci")
    (options,) = Recording.made_with
    assert options is not None and options["dsn"] == DSN and options["environment"] == "ci"
    made = sentry_sdk.get_client().transport
    assert isinstance(made, Recording) and made.parsed_dsn is not None
    assert (made.parsed_dsn.project_id, made.parsed_dsn.org_id) == ("42", "7")
    sentry_sdk.get_client().close()
    assert made.flushed and made.killed


def test_a_function_transport_gets_each_error_event_and_warns() -> None:
    events: list[dict[str, Any]] = []
    with pytest.warns(DeprecationWarning, match="function transports"):
        sentry_sdk.init(transport=events.append, traces_sample_rate=1.0)
    sentry_sdk.capture_message("to the function")
    with sentry_sdk.start_transaction(name="not an error event"):
        pass
    sentry_sdk.flush()
    assert [event["message"] for event in events] == ["to the function"]


def test_an_http_transport_subclass_sees_envelopes_and_sends_them() -> None:
    seen: list[str] = []

    class Inspecting(HttpTransport):
        def capture_envelope(self, envelope: Envelope) -> None:
            seen.extend(item.type or "?" for item in envelope.items)
            super().capture_envelope(envelope)

    with SentryReceiver() as receiver:
        sentry_sdk.init(dsn=receiver.dsn, transport=Inspecting, traces_sample_rate=1.0)
        sentry_sdk.capture_message("first")
        with sentry_sdk.start_transaction(name="inspected"):
            pass
        sentry_sdk.flush(timeout=5)
        assert seen == ["event", "transaction"]
        assert [item.type for item in receiver.items()] == ["event", "transaction"]
        assert receiver.errors == []


def test_an_envelope_built_by_hand_goes_through_the_client_transport() -> None:
    envelope = Envelope(headers={"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"})
    envelope.add_event({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "message": "by hand"})
    log = PayloadRef(bytes=b"line 1\nline 2\n")
    envelope.add_item(Item(payload=log, type="attachment", filename="import.log"))
    with SentryReceiver() as receiver:
        sentry_sdk.init(dsn=receiver.dsn)
        transport = sentry_sdk.get_client().transport
        assert isinstance(transport, HttpTransport)
        assert transport is sentry_sdk.get_client().transport
        transport.capture_envelope(envelope)
        sentry_sdk.flush(timeout=5)
        (received,) = receiver.envelopes
    assert [item.type for item in received.items] == ["event", "attachment"]
    assert received.items[0].json["message"] == "by hand"
    assert received.items[1].payload == b"line 1\nline 2\n"
    assert received.items[1].headers["filename"] == "import.log"


def test_envelopes_serialize_to_sentry_s_wire_format_and_back() -> None:
    envelope = Envelope(headers={"event_id": "abc"})
    envelope.add_transaction({"type": "transaction", "transaction": "t", "x": float("nan")})
    envelope.add_item(Item(payload="text", type="attachment"))
    data = envelope.serialize()
    wire = parse_envelope(data)
    assert wire.headers == {"event_id": "abc"}
    assert [item.headers["length"] for item in wire.items] == [
        len(item.get_bytes()) for item in envelope.items
    ]
    again = Envelope.deserialize_from(io.BytesIO(data))
    # NaN is not JSON (sentry-sdk writes it anyway, and Relay refuses the item): orjson
    # writes null, the standard library's encoder refuses it and its text is sent
    nan = None if wire_envelope.fast_dump is not None else "nan"
    assert again.get_transaction_event() == {"type": "transaction", "transaction": "t", "x": nan}
    assert again.items[1].payload.json is None and again.items[1].get_bytes() == b"text"
    assert [item.data_category for item in again] == ["transaction", "attachment"]


def test_dsn_has_sentry_sdk_s_attributes() -> None:
    dsn = Dsn("https://public:secret@o12.ingest.sentry.io/prefix/42")
    assert (dsn.scheme, dsn.host, dsn.port, dsn.netloc) == (
        "https",
        "o12.ingest.sentry.io",
        443,
        "o12.ingest.sentry.io",
    )
    assert (dsn.path, dsn.project_id, dsn.public_key, dsn.secret_key, dsn.org_id) == (
        "/prefix/",
        "42",
        "public",
        "secret",
        "12",
    )
    assert str(Dsn(str(dsn))) == str(dsn) and Dsn("http://k@localhost:9000/1").netloc.endswith(
        ":9000"
    )


def test_a_failing_custom_transport_never_reaches_the_application() -> None:
    class Broken(Transport):
        def capture_envelope(self, envelope: Envelope) -> None:
            raise RuntimeError("disk full")

        def flush(self, timeout: float, callback: object = None) -> None:
            raise RuntimeError("still full")

    with warnings.catch_warnings():
        sentry_sdk.init(transport=Broken())
        assert sentry_sdk.capture_message("dropped by the transport") is not None
        sentry_sdk.flush()
        sentry_sdk.get_client().close()
