"""Header codecs, the dynamic sampling context, and reading an incoming trace."""

import pytest
from opentelemetry.trace import TraceFlags

from scopetel._propagation.dsc import (
    DynamicSamplingContext,
)
from scopetel._propagation.headers import (
    MAX_BAGGAGE_BYTES,
    MAX_BAGGAGE_MEMBERS,
    Baggage,
    SentryTrace,
    Traceparent,
    encode_baggage_member,
    extract_incoming,
    format_baggage,
    format_sentry_trace,
    format_traceparent,
    parse_baggage,
    parse_sentry_trace,
    parse_traceparent,
)

TRACE_HEX = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_HEX = "00f067aa0ba902b7"
TRACE = int(TRACE_HEX, 16)
SPAN = int(SPAN_HEX, 16)
OTHER_TRACE_HEX = "0af7651916cd43dd8448eb211c80319c"


# --- sentry-trace ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{TRACE_HEX}-{SPAN_HEX}-1", SentryTrace(TRACE, SPAN, True)),
        (f"{TRACE_HEX}-{SPAN_HEX}-0", SentryTrace(TRACE, SPAN, False)),
        (f"{TRACE_HEX}-{SPAN_HEX}", SentryTrace(TRACE, SPAN, None)),
        (f"  \t{TRACE_HEX}-{SPAN_HEX}-1 \t", SentryTrace(TRACE, SPAN, True)),
        (f"{TRACE_HEX.upper()}-{SPAN_HEX.upper()}-1", SentryTrace(TRACE, SPAN, True)),
    ],
)
def test_parse_sentry_trace_valid(value: str, expected: SentryTrace) -> None:
    assert parse_sentry_trace(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "garbage",
        f"{TRACE_HEX}",
        f"{TRACE_HEX}-",
        f"-{SPAN_HEX}-1",
        f"{TRACE_HEX}-{SPAN_HEX}-2",
        f"{TRACE_HEX}-{SPAN_HEX}-",
        f"{TRACE_HEX}-{SPAN_HEX}-11",
        f"{TRACE_HEX}0-{SPAN_HEX}-1",
        f"{TRACE_HEX[:-1]}-{SPAN_HEX}-1",
        f"{TRACE_HEX}-{SPAN_HEX}0-1",
        f"{TRACE_HEX}-{SPAN_HEX[:-1]}-1",
        f"{'0' * 32}-{SPAN_HEX}-1",
        f"{TRACE_HEX}-{'0' * 16}-1",
        f"{TRACE_HEX[:-1]}g-{SPAN_HEX}-1",
        f"{TRACE_HEX}-{SPAN_HEX}-1\nX",
        f"{TRACE_HEX} - {SPAN_HEX}",
        f"00-{TRACE_HEX}-{SPAN_HEX}-01",
    ],
)
def test_parse_sentry_trace_malformed(value: str) -> None:
    assert parse_sentry_trace(value) is None


@pytest.mark.parametrize(("sampled", "suffix"), [(True, "-1"), (False, "-0"), (None, "")])
def test_format_sentry_trace(sampled: bool | None, suffix: str) -> None:
    header = format_sentry_trace(TRACE, SPAN, sampled)
    assert header == f"{TRACE_HEX}-{SPAN_HEX}{suffix}"
    assert parse_sentry_trace(header) == SentryTrace(TRACE, SPAN, sampled)


def test_format_pads_small_ids() -> None:
    assert format_sentry_trace(1, 2, True) == f"{1:032x}-{2:016x}-1"
    assert format_traceparent(1, 2, False) == f"00-{1:032x}-{2:016x}-00"


@pytest.mark.parametrize(("trace_id", "span_id"), [(0, SPAN), (TRACE, 0), (1 << 128, SPAN)])
def test_format_rejects_invalid_ids(trace_id: int, span_id: int) -> None:
    with pytest.raises(ValueError):
        format_sentry_trace(trace_id, span_id, True)
    with pytest.raises(ValueError):
        format_traceparent(trace_id, span_id, True)


# --- traceparent ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"00-{TRACE_HEX}-{SPAN_HEX}-01", Traceparent(TRACE, SPAN, 1)),
        (f"00-{TRACE_HEX}-{SPAN_HEX}-00", Traceparent(TRACE, SPAN, 0)),
        (f" \t00-{TRACE_HEX}-{SPAN_HEX}-01\t ", Traceparent(TRACE, SPAN, 1)),
        (f"00-{TRACE_HEX}-{SPAN_HEX}-03", Traceparent(TRACE, SPAN, 3)),  # random flag
        (f"01-{TRACE_HEX}-{SPAN_HEX}-01", Traceparent(TRACE, SPAN, 1)),  # future version
        (f"cc-{TRACE_HEX}-{SPAN_HEX}-01-what-the-future-holds", Traceparent(TRACE, SPAN, 1)),
    ],
)
def test_parse_traceparent_valid(value: str, expected: Traceparent) -> None:
    assert parse_traceparent(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00",
        f"ff-{TRACE_HEX}-{SPAN_HEX}-01",
        f"00-{TRACE_HEX}-{SPAN_HEX}-01-extra",  # version 00 has exactly four fields
        f"cc-{TRACE_HEX}-{SPAN_HEX}-01extra",  # a later field must follow a dash
        f"00-{'0' * 32}-{SPAN_HEX}-01",
        f"00-{TRACE_HEX}-{'0' * 16}-01",
        f"00-{TRACE_HEX.upper()}-{SPAN_HEX}-01",  # the spec requires lower case
        f"00-{TRACE_HEX}-{SPAN_HEX.upper()}-01",
        f"0-{TRACE_HEX}-{SPAN_HEX}-01",
        f"00-{TRACE_HEX[:-1]}-{SPAN_HEX}-01",
        f"00-{TRACE_HEX}-{SPAN_HEX[:-1]}-01",
        f"00-{TRACE_HEX}-{SPAN_HEX}-1",
        f"00-{TRACE_HEX}-{SPAN_HEX}-0g",
        f"00_{TRACE_HEX}_{SPAN_HEX}_01",
        f"{TRACE_HEX}-{SPAN_HEX}-1",
        f"cc-{TRACE_HEX}-{SPAN_HEX}-01-" + "x" * 600,
    ],
)
def test_parse_traceparent_malformed(value: str) -> None:
    assert parse_traceparent(value) is None


def test_format_traceparent_round_trip() -> None:
    for sampled in (True, False):
        header = format_traceparent(TRACE, SPAN, sampled)
        assert header == f"00-{TRACE_HEX}-{SPAN_HEX}-{'01' if sampled else '00'}"
        parsed = parse_traceparent(header)
        assert parsed is not None and parsed.sampled is sampled


# --- baggage ---------------------------------------------------------------------------


def test_parse_baggage_splits_sentry_and_third_party() -> None:
    baggage = parse_baggage(
        "other-vendor=abc;prop=1, sentry-trace_id=" + TRACE_HEX + " ,sentry-release=app%401.0.0,"
        "  sentry-transaction=GET%20%2Fusers ; meta , userId=alice%20b"
    )
    assert baggage.sentry == {
        "sentry-trace_id": TRACE_HEX,
        "sentry-release": "app@1.0.0",
        "sentry-transaction": "GET /users",
    }
    assert baggage.third_party == ("other-vendor=abc;prop=1", "userId=alice%20b")


def test_parse_baggage_multiple_headers() -> None:
    baggage = parse_baggage(["a=1,sentry-environment=prod", "b=2", "sentry-environment=staging"])
    assert baggage.sentry == {"sentry-environment": "staging"}  # the last one wins
    assert baggage.third_party == ("a=1", "b=2")


@pytest.mark.parametrize("value", ["", ",,,", "novalue", "=value", " ; ", [], ["", " "]])
def test_parse_baggage_malformed_is_empty(value: str | list[str]) -> None:
    assert parse_baggage(value) == Baggage()


def test_parse_baggage_skips_only_bad_members() -> None:
    baggage = parse_baggage("bad, sentry-sampled=true, =x, ok=1, sentry-bad%zz=%zz%")
    assert baggage.sentry == {"sentry-sampled": "true", "sentry-bad%zz": "%zz%"}
    assert baggage.third_party == ("ok=1",)


def test_baggage_percent_encoding_round_trip() -> None:
    tricky = "a b,c;d=e%f+g/h@i\"j'k\\l é 日本"
    header = format_baggage({"sentry-transaction": tricky}, ["vendor=x"])
    assert " " not in header and header.isascii()
    assert header.count(",") == 1 and header.count(";") == 0
    parsed = parse_baggage(header)
    assert parsed.sentry == {"sentry-transaction": tricky}
    assert parsed.third_party == ("vendor=x",)


def test_format_baggage_keeps_third_party_verbatim_after_sentry() -> None:
    header = format_baggage({"sentry-trace_id": TRACE_HEX}, ["k=v;p=1", "userId=alice%20b"])
    assert header == f"sentry-trace_id={TRACE_HEX},k=v;p=1,userId=alice%20b"


def test_format_baggage_member_limit_drops_third_party_first() -> None:
    sentry = {f"sentry-k{i}": "v" for i in range(10)}
    third_party = [f"t{i}=v" for i in range(300)]
    members = format_baggage(sentry, third_party).split(",")
    assert len(members) == MAX_BAGGAGE_MEMBERS
    assert members[:10] == [f"sentry-k{i}=v" for i in range(10)]
    assert members[-1] == f"t{MAX_BAGGAGE_MEMBERS - 11}=v"


def test_format_baggage_byte_limit() -> None:
    sentry = {"sentry-trace_id": TRACE_HEX, "sentry-transaction": "t" * 100}
    big = ["big=" + "x" * 3000 for _ in range(5)]
    header = format_baggage(sentry, [*big, "small=1"])
    assert len(header.encode()) <= MAX_BAGGAGE_BYTES
    members = header.split(",")
    assert members[:2] == [f"sentry-trace_id={TRACE_HEX}", "sentry-transaction=" + "t" * 100]
    assert members.count(big[0]) == 2  # whole members only, the rest dropped
    assert members[-1] == "small=1"  # a later member that still fits is kept


def test_format_baggage_exactly_at_byte_limit() -> None:
    first = "a=" + "x" * 4000
    second = "b=" + "y" * (MAX_BAGGAGE_BYTES - len(first) - 1 - 2)
    assert len(format_baggage({}, [first, second]).encode()) == MAX_BAGGAGE_BYTES
    assert format_baggage({}, [first, second + "z"]) == first


def test_format_baggage_oversized_sentry_entry_dropped() -> None:
    header = format_baggage({"sentry-transaction": "t" * 9000, "sentry-sampled": "true"}, [])
    assert header == "sentry-sampled=true"


def test_encode_baggage_member() -> None:
    assert encode_baggage_member("user id", "a b+c") == "user%20id=a%20b%2Bc"


# --- incoming trace -------------------------------------------------------------------


def test_extract_incoming_sentry_headers() -> None:
    incoming = extract_incoming(
        {
            "Sentry-Trace": f"{TRACE_HEX}-{SPAN_HEX}-1",
            "Baggage": f"sentry-trace_id={TRACE_HEX},sentry-sample_rand=0.5,vendor=1",
        }
    )
    assert incoming is not None
    context = incoming.span_context
    assert (context.trace_id, context.span_id, context.is_remote) == (TRACE, SPAN, True)
    assert context.trace_flags == TraceFlags.SAMPLED
    assert incoming.parent_sampled is True
    assert incoming.dsc == DynamicSamplingContext(TRACE_HEX, sample_rand="0.5")
    assert incoming.baggage.third_party == ("vendor=1",)


def test_extract_incoming_deferred_and_unsampled() -> None:
    deferred = extract_incoming({"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}"})
    assert deferred is not None and deferred.parent_sampled is None
    assert deferred.span_context.trace_flags == TraceFlags.DEFAULT
    assert deferred.dsc is None
    unsampled = extract_incoming({"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-0"})
    assert unsampled is not None and unsampled.parent_sampled is False


def test_extract_incoming_wsgi_environ() -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "wsgi.input": object(),
        "HTTP_SENTRY_TRACE": f"{TRACE_HEX}-{SPAN_HEX}-0",
        "HTTP_BAGGAGE": f"sentry-trace_id={TRACE_HEX},sentry-environment=prod",
        "HTTP_TRACESTATE": "vendor=value",
    }
    incoming = extract_incoming(environ)
    assert incoming is not None
    assert incoming.parent_sampled is False
    assert incoming.dsc is not None and incoming.dsc.environment == "prod"
    assert not incoming.span_context.trace_state  # tracestate needs a traceparent


def test_extract_incoming_traceparent_only_keeps_tracestate() -> None:
    incoming = extract_incoming(
        {
            "HTTP_TRACEPARENT": f"00-{TRACE_HEX}-{SPAN_HEX}-03",
            "HTTP_TRACESTATE": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
        }
    )
    assert incoming is not None
    assert incoming.span_context.trace_state.get("congo") == "t61rcWkgMzE"
    assert incoming.span_context.trace_flags == TraceFlags.SAMPLED  # only the sampled bit
    assert incoming.parent_sampled is True and incoming.dsc is None


def test_extract_incoming_both_agree() -> None:
    incoming = extract_incoming(
        {
            "traceparent": f"00-{TRACE_HEX}-{SPAN_HEX}-00",
            "tracestate": "vendor=value",
            "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}",
        }
    )
    assert incoming is not None
    assert incoming.parent_sampled is None  # sentry-trace can say "deferred"
    assert incoming.span_context.span_id == SPAN
    assert incoming.span_context.trace_state.get("vendor") == "value"


def test_extract_incoming_same_trace_other_span_prefers_traceparent() -> None:
    proxy_span = "1111111111111111"
    incoming = extract_incoming(
        {
            "traceparent": f"00-{TRACE_HEX}-{proxy_span}-01",
            "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-0",
            "baggage": f"sentry-trace_id={TRACE_HEX}",
        }
    )
    assert incoming is not None
    assert incoming.span_context.span_id == int(proxy_span, 16)
    assert incoming.parent_sampled is True
    assert incoming.dsc is not None


def test_extract_incoming_disagreeing_traces() -> None:
    headers = {
        "traceparent": f"00-{OTHER_TRACE_HEX}-{SPAN_HEX}-01",
        "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-0",
    }
    confirmed = extract_incoming({**headers, "baggage": f"sentry-trace_id={TRACE_HEX}"})
    assert confirmed is not None
    assert confirmed.span_context.trace_id == TRACE and confirmed.parent_sampled is False
    assert confirmed.dsc is not None
    unconfirmed = extract_incoming(headers)
    assert unconfirmed is not None
    assert unconfirmed.span_context.trace_id == int(OTHER_TRACE_HEX, 16)
    stale = extract_incoming({**headers, "baggage": f"sentry-trace_id={OTHER_TRACE_HEX}9"[:-1]})
    assert stale is not None and stale.span_context.trace_id == int(OTHER_TRACE_HEX, 16)
    assert stale.dsc is not None and stale.dsc.trace_id == OTHER_TRACE_HEX


def test_extract_incoming_dsc_of_another_trace_dropped() -> None:
    incoming = extract_incoming(
        {
            "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1",
            "baggage": f"sentry-trace_id={OTHER_TRACE_HEX},sentry-release=1",
        }
    )
    assert incoming is not None and incoming.dsc is None


def test_extract_incoming_dsc_without_trace_id_gets_this_one() -> None:
    incoming = extract_incoming(
        {"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1", "baggage": "sentry-release=1.0"}
    )
    assert incoming is not None
    assert incoming.dsc == DynamicSamplingContext(TRACE_HEX, release="1.0")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"baggage": f"sentry-trace_id={TRACE_HEX}"},
        {"sentry-trace": "nonsense", "traceparent": "nonsense"},
        {"sentry-trace": 42, "traceparent": None},
        {"sentry-trace": f"{'0' * 32}-{SPAN_HEX}-1"},
        {"traceparent": f"ff-{TRACE_HEX}-{SPAN_HEX}-01"},
        {"tracestate": "a=b"},
    ],
)
def test_extract_incoming_without_trace(headers: dict[str, object]) -> None:
    assert extract_incoming(headers) is None


def test_extract_incoming_multi_valued_and_bytes() -> None:
    incoming = extract_incoming(
        {
            "sentry-trace": [f"{TRACE_HEX}-{SPAN_HEX}-1".encode(), "ignored"],
            "baggage": ["sentry-trace_id=" + TRACE_HEX, b"sentry-environment=prod"],
            1: "non-string key",
        }
    )
    assert incoming is not None and incoming.parent_sampled is True
    assert incoming.dsc == DynamicSamplingContext(TRACE_HEX, environment="prod")
