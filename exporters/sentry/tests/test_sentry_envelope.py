"""The envelope format: round trips against sentry-sdk's real envelopes, and strictness."""

import json
from pathlib import Path

import pytest
from scopetel_exporter_sentry import (
    Envelope,
    Item,
    data_category,
    item_quantity,
    parse_envelope,
    serialize_envelope,
)
from scopetel_exporter_sentry import envelope as envelope_module

REPO_ROOT = Path(__file__).resolve().parents[3]
REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "sentry-sdk-2.75"
REFERENCE_FILES = sorted(REFERENCE.glob("*.envelope")) if REFERENCE.is_dir() else []
needs_reference = pytest.mark.skipif(
    not REFERENCE_FILES, reason=f"reference envelopes not found in {REFERENCE}"
)


@needs_reference
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.name)
def test_reference_envelopes_round_trip(path: Path) -> None:
    data = path.read_bytes()
    first = parse_envelope(data)
    again = parse_envelope(serialize_envelope(first))
    assert again == first
    assert serialize_envelope(first) == data  # compact JSON, header order kept: byte-identical
    for item in first.items:
        assert item.headers["length"] == len(item.payload)
        if item.type != "attachment":  # attachments carry raw bytes, everything else JSON
            assert isinstance(item.json(), dict)


@needs_reference
def test_reference_categories_and_quantities() -> None:
    found = {
        path.name: [
            (data_category(i), item_quantity(i)) for i in parse_envelope(path.read_bytes()).items
        ]
        for path in REFERENCE_FILES
    }
    assert found == {
        "classic-01.envelope": [("error", 1)],
        "classic-02.envelope": [("transaction", 1)],
        "classic-03.envelope": [("monitor", 1)],
        "classic-04.envelope": [("session", 1)],
        "classic-05.envelope": [("log_item", 1)],
        "classic-06.envelope": [("internal", 1)],
        "classic-07.envelope": [("error", 1), ("attachment", 1)],
        "classic-08.envelope": [("trace_metric", 3)],
        "classic-09.envelope": [("profile_chunk", 1)],
        "classic-10.envelope": [("session", 1)],
        "stream-01.envelope": [("span", 2)],
    }


def test_items_without_length_are_read_to_the_newline() -> None:
    data = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"a":1}\n'
    data += b'{"type":"attachment"}\nraw'
    envelope = parse_envelope(data)
    assert [i.type for i in envelope.items] == ["event", "attachment"]
    assert envelope.items[0].json() == {"a": 1}
    assert envelope.items[1].payload == b"raw"
    assert parse_envelope(serialize_envelope(envelope)) == envelope


def test_length_allows_newlines_in_the_payload() -> None:
    item = Item({"type": "attachment", "filename": "a.txt"}, b"line 1\nline 2\n")
    envelope = Envelope({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}, [item, item])
    data = serialize_envelope(envelope)
    parsed = parse_envelope(data)
    assert [i.payload for i in parsed.items] == [b"line 1\nline 2\n"] * 2
    assert parsed.items[0].headers["length"] == 14


def test_from_json_sets_the_headers() -> None:
    item = Item.from_json(
        "span",
        {"version": 2, "items": [{}, {}, {}]},
        content_type="application/vnd.sentry.items.span.v2+json",
        item_count=3,
    )
    assert item.headers == {
        "item_count": 3,
        "type": "span",
        "content_type": "application/vnd.sentry.items.span.v2+json",
        "length": len(item.payload),
    }
    assert item_quantity(item) == 3
    assert data_category(item) == "span"
    assert Item.from_json("event", {"message": "é"}).json() == {"message": "é"}


def _stdlib_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envelope_module, "fast_dump", None)


def test_from_json_refuses_nan_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdlib_only(monkeypatch)
    with pytest.raises(ValueError):
        Item.from_json("transaction", {"measurements": {"lcp": {"value": float("nan")}}})


def test_from_json_writes_non_finite_numbers_as_null_with_orjson() -> None:
    """What Relay accepts either way (scopetel's payloads carry the text of a non-finite
    number: they are made JSON-safe before they are encoded)."""
    if envelope_module.fast_dump is None:
        pytest.skip("orjson is not installed on this interpreter")
    item = Item.from_json("transaction", {"measurements": {"lcp": {"value": float("nan")}}})
    assert item.json() == {"measurements": {"lcp": {"value": None}}}


HOSTILE = [
    {"cycle": []},
    {"big": 2**70},
    {"surrogate": "\ud800"},
    {"deep": json.loads("[" * 300 + "]" * 300)},
    {"when": __import__("datetime").datetime(2026, 1, 1)},
]
HOSTILE[0]["cycle"].append(HOSTILE[0])


@pytest.mark.parametrize("payload", HOSTILE, ids=["cycle", "big", "surrogate", "deep", "datetime"])
def test_what_json_cannot_encode_raises_as_with_the_standard_library(payload: object) -> None:
    """Callers catch the error and encode a JSON-safe copy: both encoders must refuse the
    same things (orjson would write some of them its own way)."""
    with pytest.raises((TypeError, ValueError, RecursionError)):
        Item.from_json("event", payload)


@needs_reference
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.name)
def test_payloads_encode_to_the_same_bytes_as_the_standard_library(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = [
        (item.headers["type"], json.loads(item.payload))
        for item in parse_envelope(path.read_bytes()).items
        if item.headers.get("content_type", "application/json") == "application/json"
        and item.payload[:1] in (b"{", b"[")
    ]
    fast = [Item.from_json(kind, payload).payload for kind, payload in payloads]
    _stdlib_only(monkeypatch)
    assert fast == [Item.from_json(kind, payload).payload for kind, payload in payloads]


@pytest.mark.parametrize(
    ("item_type", "category"),
    [
        ("event", "error"),
        ("transaction", "transaction"),
        ("span", "span"),
        ("client_report", "internal"),
        ("attachment", "attachment"),
        ("log", "log_item"),
        ("check_in", "monitor"),
        ("session", "session"),
        ("sessions", "session"),
        ("profile", "profile"),
        ("something_new", "default"),
    ],
)
def test_data_category(item_type: str, category: str) -> None:
    assert data_category(Item({"type": item_type}, b"{}")) == category


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "envelope header is not valid JSON"),
        (b"[]\n", "envelope header is not a JSON object"),
        (b'{}\n{"type":"event","length":10}\n{}', "declares length 10 but only 2 bytes remain"),
        (b'{}\n{"type":"event","length":2}\n{}}\n', "not followed by a newline"),
        (b'{}\n{"length":2}\n{}\n', "has no 'type'"),
        (b'{}\n{"type":"event","length":-1}\n', "invalid length"),
        (b'{}\n{"type":"event","length":"2"}\n{}\n', "invalid length"),
        (b"{}\nnot json\n", "item 0 header is not valid JSON"),
    ],
)
def test_malformed_envelopes_raise_value_error(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_envelope(data)


def test_empty_envelope_and_trailing_newline() -> None:
    assert parse_envelope(b"{}") == Envelope()
    assert parse_envelope(b'{"a":1}\n') == Envelope({"a": 1})
    assert serialize_envelope(Envelope()) == b"{}\n"


def test_serializer_writes_the_true_length() -> None:
    stale = Item({"type": "event", "length": 999}, b'{"x":1}')
    data = serialize_envelope(Envelope({}, [stale]))
    header = json.loads(data.split(b"\n")[1])
    assert header["length"] == 7
