"""The dynamic sampling context: baggage entries, envelope headers, sample_rand."""

import json

import pytest

import scopetel
from scopetel._propagation.dsc import (
    DynamicSamplingContext,
    dsc_for_new_trace,
    format_sample_rand,
    sample_rand_for,
    sample_rand_from_trace_id,
)
from scopetel._propagation.headers import format_baggage, parse_baggage
from scopetel.testing import CapturingTransport
from tests.propagation.test_headers import OTHER_TRACE_HEX, TRACE, TRACE_HEX
from tests.support.reference import REFERENCE_DIR

# shared/ lies beside the repository (in CI: beside the fresh clone)
REFERENCE = REFERENCE_DIR


# --- dynamic sampling context -----------------------------------------------------------


def _reference_trace_header() -> dict[str, str]:
    path = REFERENCE / "classic-02.envelope"
    if not path.exists():
        pytest.skip("reference envelopes are absent")
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    return dict(header["trace"])


def test_dsc_for_new_trace_matches_reference_envelope_header() -> None:
    reference = _reference_trace_header()
    dsc = dsc_for_new_trace(
        int(reference["trace_id"], 16),
        public_key="publickey",
        release="app@1.0.0",
        environment="test",
        transaction="wire-tx",
        transaction_source="custom",
        sample_rate=1.0,
        sample_rand=0.225525,
        sampled=True,
    )
    header = dsc.to_envelope_header()
    for key, value in reference.items():
        assert header.get(key) == value, key
    assert header == reference
    assert list(header) == list(reference)  # same field order as sentry-sdk


def test_dsc_round_trip_through_baggage() -> None:
    reference = _reference_trace_header()
    entries = {"sentry-" + key: value for key, value in reference.items()}
    entries["sentry-replay_id"] = "abc"
    dsc = DynamicSamplingContext.from_baggage_entries(entries)
    assert dsc is not None
    assert dsc.to_baggage_entries() == entries
    assert dsc.to_envelope_header() == {**reference, "replay_id": "abc"}
    header = format_baggage(dsc.to_baggage_entries(), [])
    assert DynamicSamplingContext.from_baggage_entries(parse_baggage(header).sentry) == dsc


def test_dsc_values_parsed() -> None:
    dsc = DynamicSamplingContext(TRACE_HEX, sample_rate="0.25", sample_rand="0.5", sampled="true")
    assert (dsc.sample_rate_value(), dsc.sample_rand_value(), dsc.sampled_flag()) == (
        0.25,
        0.5,
        True,
    )
    bad = DynamicSamplingContext(TRACE_HEX, sample_rate="2", sample_rand="1.0", sampled="yes")
    assert (bad.sample_rate_value(), bad.sample_rand_value(), bad.sampled_flag()) == (
        None,
        None,
        None,
    )
    nan = DynamicSamplingContext(TRACE_HEX, sample_rate="nan", sample_rand="x", sampled="FALSE")
    assert (nan.sample_rate_value(), nan.sample_rand_value(), nan.sampled_flag()) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    "entries",
    [
        {},
        {"sentry-release": "1"},
        {"sentry-trace_id": "xyz"},
        {"sentry-trace_id": "0" * 32},
        {"sentry-trace_id": TRACE_HEX + "0"},
        {"trace_id": TRACE_HEX},
    ],
)
def test_dsc_from_entries_without_valid_trace_id(entries: dict[str, str]) -> None:
    assert DynamicSamplingContext.from_baggage_entries(entries) is None


def test_dsc_from_entries_normalizes_and_skips_empty() -> None:
    dsc = DynamicSamplingContext.from_baggage_entries(
        {"sentry-trace_id": TRACE_HEX.upper(), "sentry-release": "", "other": "x", "sentry-": "y"}
    )
    assert dsc == DynamicSamplingContext(TRACE_HEX)


def test_dsc_for_new_trace_omits_url_names_and_unknowns() -> None:
    dsc = dsc_for_new_trace(
        TRACE,
        public_key=None,
        release=None,
        environment=None,
        transaction="/users/42?token=secret",
        transaction_source="url",
        sample_rate=None,
        sample_rand=0.5,
        sampled=None,
    )
    assert dsc.to_envelope_header() == {"trace_id": TRACE_HEX, "sample_rand": "0.500000"}
    route = dsc_for_new_trace(
        TRACE,
        public_key="pk",
        release=None,
        environment="prod",
        transaction="/users/{id}",
        transaction_source="route",
        sample_rate=0.25,
        sample_rand=0.1,
        sampled=False,
    )
    assert route.to_baggage_entries() == {
        "sentry-trace_id": TRACE_HEX,
        "sentry-sample_rand": "0.100000",
        "sentry-environment": "prod",
        "sentry-public_key": "pk",
        "sentry-transaction": "/users/{id}",
        "sentry-sample_rate": "0.25",
        "sentry-sampled": "false",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.000000"),
        (0.225525, "0.225525"),
        (0.1234569, "0.123456"),  # truncated, not rounded
        (0.9999999, "0.999999"),  # never "1.000000"
        (1.5, "0.999999"),
        (1e300, "0.999999"),
        (1e-300, "0.000000"),
        (-1.0, "0.000000"),
        (float("nan"), "0.000000"),
    ],
)
def test_format_sample_rand(value: float, text: str) -> None:
    assert format_sample_rand(value) == text


def test_sample_rand_from_trace_id_range_and_determinism() -> None:
    assert sample_rand_from_trace_id(0) == 0.0
    assert sample_rand_from_trace_id((1 << 56) - 1) == 0.999999
    assert sample_rand_from_trace_id(1 << 55) == 0.5
    # only the rightmost 56 bits count
    assert sample_rand_from_trace_id(TRACE) == sample_rand_from_trace_id(TRACE ^ (0xFF << 100))
    values = [sample_rand_from_trace_id(TRACE * (i + 1) % (1 << 128)) for i in range(2000)]
    assert values == [sample_rand_from_trace_id(TRACE * (i + 1) % (1 << 128)) for i in range(2000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert all(format_sample_rand(v) == f"{v:.6f}" for v in values)  # exactly 6 decimals
    assert 0.45 < sum(values) / len(values) < 0.55


def test_sample_rand_for_prefers_matching_dsc() -> None:
    derived = sample_rand_from_trace_id(TRACE)
    assert sample_rand_for(TRACE, None) == derived
    assert sample_rand_for(TRACE, DynamicSamplingContext(TRACE_HEX, sample_rand="0.75")) == 0.75
    other = DynamicSamplingContext(OTHER_TRACE_HEX, sample_rand="0.75")
    assert sample_rand_for(TRACE, other) == derived
    invalid = DynamicSamplingContext(TRACE_HEX, sample_rand="7")
    assert sample_rand_for(TRACE, invalid) == derived


def test_sample_rand_for_backfills_consistently_with_decision() -> None:
    for i in range(1, 500):
        trace_id = (TRACE * i) % (1 << 128)
        hex_id = f"{trace_id:032x}"
        sampled = DynamicSamplingContext(hex_id, sample_rate="0.3", sampled="true")
        unsampled = DynamicSamplingContext(hex_id, sample_rate="0.3", sampled="false")
        assert 0.0 <= sample_rand_for(trace_id, sampled) < 0.3
        assert 0.3 <= sample_rand_for(trace_id, unsampled) < 1.0


@pytest.mark.parametrize(
    ("rand", "rate", "sampled"),
    [("1.5", "2", "%20true"), ("-0.2", "nan", "yes"), ("nan", "-1", "TRUE"), ("abc", "x", "1")],
)
def test_invalid_incoming_members_are_not_propagated(rand: str, rate: str, sampled: str) -> None:
    """An invalid sample_rand is replaced; an invalid rate or sampled flag is dropped."""
    incoming = (
        f"sentry-trace_id={TRACE_HEX},sentry-sample_rand={rand},sentry-sample_rate={rate},"
        f"sentry-sampled={sampled},sentry-release=shop%401.0"
    )
    transport = CapturingTransport()
    scopetel.init(dsn="http://key@127.0.0.1:9/1", transport=transport, traces_sample_rate=1.0)
    headers = {"sentry-trace": f"{TRACE_HEX}-{'b' * 16}-1", "baggage": incoming}
    with scopetel.start_transaction(scopetel.continue_trace(headers, name="continued")):
        outgoing = parse_baggage(scopetel.get_baggage() or "").sentry
    scopetel.flush()
    header = next(e.headers["trace"] for e in transport.envelopes if "trace" in e.headers)
    for sent in (header, {k.removeprefix("sentry-"): v for k, v in outgoing.items()}):
        assert sent["release"] == "shop@1.0"
        assert "sample_rate" not in sent and "sampled" not in sent
        assert 0.0 <= float(sent["sample_rand"]) < 1.0
        assert len(sent["sample_rand"]) == 8
