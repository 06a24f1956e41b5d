"""``scopetel serve`` in-process: Sentry envelopes in, span trees, error lines and JSON lines out.

The receiver runs on a real loopback port; envelopes come from the real HTTP transport,
from scopetel's own pipeline and from raw HTTP requests. OTLP is in test_serve_otlp.py,
the command line in test_serve_cli.py.
"""

import asyncio
import gzip
import http.client
import io
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scopetel_exporter_sentry.envelope import Envelope, Item, serialize_envelope
from scopetel_exporter_sentry.transport import HttpTransport

import scopetel
from scopetel.serve import HostNotAllowed, Received, Receiver

TRACE_ID = "1d53983697c441dc943486e8b6738634"
ROOT_ID = "848c37fd664a9816"


class Output(io.StringIO):
    """What the receiver printed."""


@pytest.fixture
def output() -> Output:
    return Output()


@pytest.fixture
def receiver(output: Output, tmp_path: Path) -> Iterator[Receiver]:
    with Receiver(port=0, out=output, jsonl=tmp_path / "events.jsonl", color="never") as server:
        yield server


def post(
    receiver: Receiver, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    try:
        connection.request("POST", path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def jsonl(receiver: Receiver) -> list[dict[str, Any]]:
    assert receiver.jsonl is not None
    return [json.loads(line) for line in receiver.jsonl.read_text().splitlines()]


def transaction_payload() -> dict[str, Any]:
    """A transaction with a nested span and a child that ends 50 ms after the root."""
    span = {"trace_id": TRACE_ID, "parent_span_id": ROOT_ID}
    return {
        "type": "transaction",
        "event_id": "ae3fffc4b8fa416b866ad3c09f3a5375",
        "transaction": "GET /report",
        "start_timestamp": 1000.0,
        "timestamp": 1000.1,
        "contexts": {"trace": {"trace_id": TRACE_ID, "span_id": ROOT_ID, "op": "http.server"}},
        "spans": [
            span
            | {"span_id": "a1", "op": "db", "description": "select 1"}
            | {"start_timestamp": 1000.001, "timestamp": 1000.011},
            span
            | {"span_id": "a2", "parent_span_id": "a1", "op": "db.cursor"}
            | {"description": "fetch", "start_timestamp": 1000.002, "timestamp": 1000.004},
            span
            | {"span_id": "a3", "op": "task", "description": "cleanup", "status": "cancelled"}
            | {"start_timestamp": "1970-01-01T00:16:40.050000Z", "timestamp": 1000.15},
        ],
    }


TRANSACTION_TREE = """\
transaction "GET /report" · 100.0 ms · 4 spans · trace 1d53983697c441dc943486e8b6738634
  http.server  GET /report  100.0 ms
  ├─ db  select 1  10.0 ms  at +1.0 ms
  │  └─ db.cursor  fetch  2.0 ms  at +2.0 ms
  └─ task  cleanup  100.0 ms  at +50.0 ms  ✗ cancelled  ⚠ ended 50.0 ms after the root
"""


def envelope_bytes(*items: Item, headers: dict[str, Any] | None = None) -> bytes:
    return serialize_envelope(Envelope(headers or {}, list(items)))


def test_transaction_from_the_http_transport_prints_its_tree_and_is_recorded(
    receiver: Receiver, output: Output
) -> None:
    transport = HttpTransport(receiver.dsn)
    envelope = Envelope({"event_id": "ae3fffc4b8fa416b866ad3c09f3a5375"})
    envelope.add(Item.from_json("transaction", transaction_payload()))
    transport.capture_envelope(envelope)
    assert transport.flush(5.0)
    transport.close(1.0)
    assert receiver.wait_for(lambda records: len(records) == 1, timeout=5)

    assert TRANSACTION_TREE in output.getvalue()
    (line,) = jsonl(receiver)
    assert line["kind"] == "transaction"
    assert line["source"] == "sentry"
    assert line["project"] == "1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", line["timestamp"])
    assert line["payload"] == transaction_payload()
    assert line["envelope"] == {"event_id": "ae3fffc4b8fa416b866ad3c09f3a5375"}
    assert receiver.counts() == {"transaction": 1}


def _divide(value: int) -> float:
    return value / 0


@scopetel.trace(op="task")
async def _fetch(index: int) -> int:
    await asyncio.sleep(0.01 * index)
    return index


async def _handle_request() -> None:
    with scopetel.start_transaction(name="GET /fanout", op="http.server"):
        await asyncio.gather(*(_fetch(index) for index in range(3)))
        try:
            _divide(1)
        except ZeroDivisionError:
            scopetel.capture_exception()


@pytest.fixture
def sentry_off() -> Iterator[None]:
    yield
    scopetel.init(default_integrations=False)  # no DSN: stop sending to the closed receiver


@pytest.mark.parametrize("lifecycle", ["static", "stream"])
def test_scopetel_pipeline_fan_out_and_error(
    receiver: Receiver, output: Output, sentry_off: None, lifecycle: str
) -> None:
    scopetel.init(
        dsn=receiver.dsn,
        traces_sample_rate=1.0,
        default_integrations=False,
        trace_lifecycle=lifecycle,
    )
    asyncio.run(_handle_request())
    assert scopetel.flush(5.0)
    kind = "transaction" if lifecycle == "static" else "span"
    assert receiver.wait_for(
        lambda records: {kind, "event"} <= {record.kind for record in records}, timeout=5
    )

    text = output.getvalue()
    header = "transaction" if lifecycle == "static" else "segment"
    tree = re.search(
        rf'^{header} "GET /fanout" · [\d.]+ ms · 4 spans · trace (\w{{32}})$', text, re.M
    )
    assert tree is not None, text
    assert re.search(r"^  http.server  GET /fanout  ", text, re.M)
    # the three gathered calls are siblings under the root, not a chain
    siblings = re.findall(r"^  (├─|└─) task  \S*\._fetch  ", text, re.M)
    assert siblings == ["├─", "├─", "└─"]
    line = _divide.__code__.co_firstlineno + 1
    assert re.search(
        rf"^error ZeroDivisionError: division by zero · _divide in \S*test_serve\.py:{line}"
        rf' · transaction "GET /fanout" · trace {tree[1]} · event [0-9a-f]{{32}}$',
        text,
        re.M,
    ), text
    kinds = [record["kind"] for record in jsonl(receiver)]
    assert sorted(set(kinds)) == sorted({kind, "event"})


def test_error_line_names_the_last_in_app_frame(receiver: Receiver, output: Output) -> None:
    frames = [
        {"function": "main", "filename": "app.py", "lineno": 3, "in_app": True},
        {"function": "charge", "filename": "shop/pay.py", "lineno": 42, "in_app": True},
        {"function": "urlopen", "filename": "urllib3/pool.py", "lineno": 700, "in_app": False},
    ]
    event = {
        "event_id": "0" * 32,
        "level": "error",
        "transaction": "POST /checkout",
        "exception": {
            "values": [
                {"type": "KeyError", "value": "'card'"},
                {
                    "type": "PaymentError",
                    "value": "card\ndeclined",
                    "stacktrace": {"frames": frames},
                },
            ]
        },
    }
    message = {"event_id": "1" * 32, "level": "warning", "logentry": {"formatted": "low stock"}}
    body = envelope_bytes(Item.from_json("event", event), Item.from_json("event", message))
    assert post(receiver, "/api/7/envelope/", body)[0] == 200
    assert (
        "error PaymentError: card declined · charge in shop/pay.py:42"
        ' · transaction "POST /checkout" · event ' + "0" * 32
    ) in output.getvalue()
    assert "warning low stock · event " + "1" * 32 in output.getvalue()
    assert [line["project"] for line in jsonl(receiver)] == ["7", "7"]


def _span_v2(span_id: str, parent: str | None, name: str, start: float, end: float) -> Any:
    attributes = {
        "sentry.op": {"value": "db" if parent else "task", "type": "string"},
        "sentry.segment.id": {"value": ROOT_ID, "type": "string"},
        "sentry.segment.name": {"value": "stream-root", "type": "string"},
    }
    span: dict[str, Any] = {"trace_id": TRACE_ID, "span_id": span_id, "name": name}
    span |= {"status": "ok", "is_segment": parent is None, "attributes": attributes}
    span |= {"start_timestamp": start, "end_timestamp": end}
    return span | ({"parent_span_id": parent} if parent else {})


def _span_item(*spans: Any) -> Item:
    content_type = "application/vnd.sentry.items.span.v2+json"
    payload = {"version": 2, "items": list(spans)}
    return Item.from_json("span", payload, content_type=content_type, item_count=len(spans))


def test_streamed_spans_print_a_tree_per_segment_and_mark_late_ones(
    receiver: Receiver, output: Output
) -> None:
    first = _span_item(
        _span_v2("b1", ROOT_ID, "child", 2000.001, 2000.002),
        _span_v2(ROOT_ID, None, "stream-root", 2000.0, 2000.010),
    )
    assert post(receiver, "/api/1/envelope/", envelope_bytes(first))[0] == 200
    late = _span_item(_span_v2("b2", ROOT_ID, "late child", 2000.005, 2000.030))
    assert post(receiver, "/api/1/envelope/", envelope_bytes(late))[0] == 200
    assert receiver.wait_for(lambda records: len(records) == 2, timeout=5)

    assert (
        f'segment "stream-root" · 10.0 ms · 2 spans · trace {TRACE_ID}\n'
        "  task  stream-root  10.0 ms\n"
        "  └─ db  child  1.0 ms  at +1.0 ms\n"
    ) in output.getvalue()
    assert (
        'segment "stream-root" · spans that arrived after their segment root · 1 span'
        f" · trace {TRACE_ID}\n"
        "  db  late child  25.0 ms  ⚠ ended 20.0 ms after the root"
        '  child of "stream-root" received earlier\n'
    ) in output.getvalue()


def test_other_items_get_one_line_and_binary_payloads_are_kept(
    receiver: Receiver, output: Output
) -> None:
    report = {"discarded_events": [{"reason": "before_send", "category": "error", "quantity": 2}]}
    attachment = Item({"type": "attachment", "filename": "a.bin"}, b"\xff\x00binary")
    text = Item({"type": "attachment", "filename": "a.txt"}, "héllo".encode())
    body = envelope_bytes(Item.from_json("client_report", report), attachment, text)
    assert post(receiver, "/api/1/envelope/", gzip.compress(body), {"Content-Encoding": "gzip"})
    assert "client_report · discarded before_send error x2" in output.getvalue()
    assert "attachment a.bin · no content type · 8 bytes" in output.getvalue()
    payloads = [line["payload"] for line in jsonl(receiver)]
    assert payloads[1:] == [
        {"encoding": "base64", "data": "/wBiaW5hcnk="},
        {"encoding": "utf-8", "data": "héllo"},
    ]


def test_gzip_and_plain_envelopes_are_answered_with_the_event_id(receiver: Receiver) -> None:
    event = {"event_id": "2" * 32, "message": "hi"}
    body = envelope_bytes(Item.from_json("event", event), headers={"event_id": "2" * 32})
    status, reply = post(receiver, "/api/1/envelope/?sentry_key=k", body)
    assert (status, json.loads(reply)) == (200, {"id": "2" * 32})
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/x-sentry-envelope"}
    status, reply = post(receiver, "/api/1/envelope/", gzip.compress(body), headers)
    assert (status, json.loads(reply)) == (200, {"id": "2" * 32})
    # two gzip members one after the other, as gzip allows
    status, _ = post(
        receiver, "/api/1/envelope", gzip.compress(body[:10]) + gzip.compress(body[10:]), headers
    )
    assert status == 200
    assert [line["kind"] for line in jsonl(receiver)] == ["event"] * 3


def test_keep_alive_and_chunked_bodies(receiver: Receiver) -> None:
    body = envelope_bytes(Item.from_json("event", {"message": "again"}))
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    try:
        for _ in range(2):
            connection.request("POST", "/api/1/envelope/", body=body)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        connection.request("POST", "/api/1/envelope/", body=iter([body[:5], body[5:]]))
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    finally:
        connection.close()
    assert receiver.counts() == {"event": 3}


def _truncated_gzip() -> bytes:
    return gzip.compress(envelope_bytes(Item.from_json("event", {})))[:-12]


GOOD = envelope_bytes(Item.from_json("event", {"message": "still alive"}))
MALFORMED = [
    ("/api/1/envelope/", {"Content-Encoding": "gzip"}, GOOD, 400, "body is not valid gzip"),
    ("/api/1/envelope/", {"Content-Encoding": "gzip"}, _truncated_gzip(), 400, "truncated"),
    ("/api/1/envelope/", {"Content-Encoding": "br"}, GOOD, 415, "unsupported Content-Encoding"),
    ("/api/1/envelope/", {}, b"", 400, "the body is empty"),
    ("/api/1/envelope/", {}, b"{nope\n", 400, "envelope header is not valid JSON"),
    ("/api/1/envelope/", {}, b'{}\n{"type":"event","length":99}\n{}', 400, "declares length 99"),
    ("/api/1/envelope/", {}, b'{}\n{"length":2}\n{}\n', 400, "item 0 header has no 'type'"),
    ("/api/1/envelope/", {}, b'{}\n{"type":"event"}\nnot json\n', 400, "(event) is not valid"),
    ("/api/1/envelope/", {}, b'{}\n{"type":"event"}\n{"a":NaN}\n', 400, "NaN is not JSON"),
    ("/api/1/store/", {}, GOOD, 404, "unknown path /api/1/store/"),
    ("/v1/metrics", {"Content-Type": "application/json"}, b"{}", 404, "OTLP traces only"),
]


@pytest.mark.parametrize(("path", "headers", "body", "status", "reason"), MALFORMED)
def test_malformed_requests_get_a_4xx_with_a_reason_and_the_server_survives(
    receiver: Receiver,
    output: Output,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    reason: str,
) -> None:
    answer, reply = post(receiver, path, body, headers)
    assert answer == status
    detail = json.loads(reply)["detail"] if path != "/v1/metrics" else reply.decode()
    assert reason in detail
    assert f"refused POST {path}: {status} " in output.getvalue()
    assert post(receiver, "/api/1/envelope/", GOOD)[0] == 200
    assert [record.kind for record in receiver.records()] == ["event"]


def raw_request(receiver: Receiver, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_length_required_bad_chunks_and_wrong_methods(receiver: Receiver) -> None:
    reply = raw_request(receiver, b"POST /api/1/envelope/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 411 ") and b"Content-Length header is required" in reply
    chunked = b"POST /api/1/envelope/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    reply = raw_request(receiver, chunked)
    assert reply.startswith(b"HTTP/1.1 400 ") and b"invalid chunk size" in reply
    reply = raw_request(receiver, b"GET /api/1/envelope/ HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 405 ") and b"Allow: POST" in reply
    reply = raw_request(receiver, b"PUT /v1/traces HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 405 ")
    reply = raw_request(receiver, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 ") and receiver.dsn.encode() in reply
    assert post(receiver, "/api/1/envelope/", GOOD)[0] == 200


def test_bodies_over_the_limit_are_refused_compressed_or_not(tmp_path: Path) -> None:
    output = Output()
    with Receiver(port=0, out=output, max_body=4096, jsonl=None) as small:
        assert post(small, "/api/1/envelope/", b"x" * 5000)[0] == 413
        bomb = gzip.compress(b"{}\n" + b" " * 100_000)
        status, reply = post(small, "/api/1/envelope/", bomb, {"Content-Encoding": "gzip"})
        assert status == 413
        assert "decompressed body exceeds the limit of 4096 bytes" in json.loads(reply)["detail"]
        assert post(small, "/api/1/envelope/", GOOD)[0] == 200
        assert small.counts() == {"event": 1}


def test_a_handler_error_answers_500_and_is_survived(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def broken(records: list[Received]) -> None:
        calls.append(len(records))
        if len(calls) == 1:
            raise RuntimeError("printer exploded")

    monkeypatch.setattr(receiver.printer, "show", broken)
    assert post(receiver, "/api/1/envelope/", GOOD)[0] == 500
    assert "printer exploded" in caplog.text
    assert post(receiver, "/api/1/envelope/", GOOD)[0] == 200
    assert calls == [1, 1]


def test_a_payload_that_cannot_be_drawn_is_noted_not_fatal(
    receiver: Receiver, output: Output
) -> None:
    odd = {"transaction": ["not", "a", "name"], "spans": "nope", "contexts": 3, "timestamp": True}
    body = envelope_bytes(
        Item.from_json("transaction", odd), Item.from_json("event", {"exception": 1})
    )
    assert post(receiver, "/api/1/envelope/", body)[0] == 200
    assert 'transaction "<unnamed>" · ? · 1 span · trace ?' in output.getvalue()
    assert "error (no message) · event ?" in output.getvalue()


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_output_stops_printing_not_receiving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver(port=0, out=ClosedPipe(), jsonl=tmp_path / "p.jsonl") as receiver:
        for _ in range(3):
            assert post(receiver, "/api/1/envelope/", GOOD)[0] == 200
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 3
    assert caplog.text.count("output closed") == 1


def test_quiet_prints_nothing_per_item_but_still_records(tmp_path: Path) -> None:
    output = Output()
    with Receiver(port=0, out=output, quiet=True, jsonl=tmp_path / "q.jsonl") as quiet:
        assert post(quiet, "/api/1/envelope/", GOOD)[0] == 200
        assert post(quiet, "/nowhere", GOOD)[0] == 404
    assert output.getvalue().startswith("refused POST /nowhere: 404")
    assert len((tmp_path / "q.jsonl").read_text().splitlines()) == 1


def test_non_loopback_hosts_are_refused_unless_allowed() -> None:
    with pytest.raises(HostNotAllowed, match="not a loopback address"):
        Receiver("192.0.2.1", port=0)
    receiver = Receiver("localhost", port=0, out=Output())
    assert receiver.url.startswith("http://127.0.0.1:") or receiver.url.startswith("http://[::1]:")
    with Receiver("0.0.0.0", port=0, out=Output(), allow_remote=True) as wildcard:
        assert wildcard.dsn == f"http://scopetel@127.0.0.1:{wildcard.port}/1"
        assert post(wildcard, "/api/1/envelope/", GOOD)[0] == 200


def test_follow_up_and_remote_parent_transactions_say_where_they_hang(
    receiver: Receiver, output: Output
) -> None:
    first = Item.from_json("transaction", transaction_payload())
    follow_up = {
        "transaction": "GET /report",
        "start_timestamp": 1000.2,
        "timestamp": 1000.3,
        "contexts": {
            "trace": {"trace_id": TRACE_ID, "span_id": "f1", "parent_span_id": "a1", "op": "x"}
        },
    }
    remote = follow_up | {"contexts": {"trace": {"span_id": "f2", "parent_span_id": "ffff"}}}
    for item in (first, Item.from_json("transaction", follow_up)):
        assert post(receiver, "/api/1/envelope/", envelope_bytes(item))[0] == 200
    assert post(receiver, "/api/1/envelope/", envelope_bytes(Item.from_json("transaction", remote)))
    text = output.getvalue()
    assert f'1 span · trace {TRACE_ID} · continues span a1 "select 1" received earlier\n' in text
    assert "1 span · trace ? · parent span ffff (remote or not received)\n" in text
