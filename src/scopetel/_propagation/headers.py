"""Codecs of the trace propagation headers, and reading an incoming request's trace.

``sentry-trace`` (``<trace id>-<span id>[-<0|1>]``), W3C ``traceparent``/``tracestate``
and ``baggage``. Parsing is total: malformed input gives None or an empty result, never
an exception and never an invalid id.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, unquote

from opentelemetry.trace import SpanContext, TraceFlags, TraceState

from scopetel._internal_errors import report_internal_error
from scopetel._propagation.dsc import BAGGAGE_PREFIX, DynamicSamplingContext, normalize_trace_id

SENTRY_TRACE_HEADER: Final = "sentry-trace"
BAGGAGE_HEADER: Final = "baggage"
TRACEPARENT_HEADER: Final = "traceparent"
TRACESTATE_HEADER: Final = "tracestate"

MAX_BAGGAGE_MEMBERS: Final = 180  # W3C baggage limits
MAX_BAGGAGE_BYTES: Final = 8192

_OWS: Final = " \t"
_SURROUNDING: Final = (
    " \t\r\n"  # what header values may carry around them (OTel strips a final newline)
)
_MAX_TRACE_ID: Final = (1 << 128) - 1
_MAX_SPAN_ID: Final = (1 << 64) - 1
_SENTRY_TRACE: Final = re.compile(r"([0-9a-fA-F]{32})-([0-9a-fA-F]{16})(?:-([01]))?")
_TRACEPARENT: Final = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_TRACEPARENT_V0_LENGTH: Final = 55
_TRACEPARENT_MAX_LENGTH: Final = 512
_BAGGAGE_VALUE_SAFE: Final = ""  # encode everything but letters, digits and "_.-~"
_BAGGAGE_KEY_SAFE: Final = "!#$&'*-.^_`|~"  # token characters except "%" and "+"
_INCOMING_HEADERS: Final = frozenset(
    {SENTRY_TRACE_HEADER, BAGGAGE_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER}
)


@dataclass(frozen=True, slots=True)
class SentryTrace:
    """A parsed ``sentry-trace`` header; ``sampled`` None means the decision is deferred."""

    trace_id: int
    span_id: int
    sampled: bool | None


@dataclass(frozen=True, slots=True)
class Traceparent:
    """A parsed W3C ``traceparent`` header."""

    trace_id: int
    span_id: int
    trace_flags: int

    @property
    def sampled(self) -> bool:
        return bool(self.trace_flags & TraceFlags.SAMPLED)


@dataclass(frozen=True, slots=True)
class Baggage:
    """A parsed ``baggage``: decoded Sentry entries, and the other members verbatim."""

    sentry: Mapping[str, str] = field(default_factory=dict)  # "sentry-trace_id" -> value
    third_party: tuple[str, ...] = ()  # original member text, re-emitted unchanged

    def sentry_trace_id(self) -> str | None:
        """The valid ``sentry-trace_id`` entry, normalized; None without one."""
        return normalize_trace_id(self.sentry.get(BAGGAGE_PREFIX + "trace_id", ""))


@dataclass(frozen=True, slots=True)
class IncomingTrace:
    """The trace an incoming request continues.

    ``span_context`` is remote with the W3C tracestate kept; ``dsc`` is None when the
    baggage has no Sentry entries for this trace; ``parent_sampled`` None is deferred.
    """

    span_context: SpanContext
    parent_sampled: bool | None
    dsc: DynamicSamplingContext | None
    baggage: Baggage


def parse_sentry_trace(value: str) -> SentryTrace | None:
    """Parse ``sentry-trace``; hex may be upper case, surrounding whitespace is ignored."""
    match = _SENTRY_TRACE.fullmatch(value.strip(_SURROUNDING))
    if match is None:
        return None
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not trace_id or not span_id:
        return None
    flag = match[3]
    return SentryTrace(trace_id, span_id, None if flag is None else flag == "1")


def format_sentry_trace(trace_id: int, span_id: int, sampled: bool | None) -> str:
    """Format ``sentry-trace``; raises ValueError on an invalid id (a caller's bug)."""
    _check_ids(trace_id, span_id)
    flag = "" if sampled is None else ("-1" if sampled else "-0")
    return f"{trace_id:032x}-{span_id:016x}{flag}"


def parse_traceparent(value: str) -> Traceparent | None:
    """Parse W3C ``traceparent`` (version 00, and later versions by the forward rules).

    Hex must be lower case (the spec says to ignore anything else); version ``ff`` and
    all-zero ids are rejected; a later version may append ``-``-separated fields.
    """
    text = value.strip(_SURROUNDING)
    if not _TRACEPARENT_V0_LENGTH <= len(text) <= _TRACEPARENT_MAX_LENGTH:
        return None
    match = _TRACEPARENT.match(text)
    if match is None or match[1] == "ff":
        return None
    if len(text) > _TRACEPARENT_V0_LENGTH and (
        match[1] == "00" or text[_TRACEPARENT_V0_LENGTH] != "-"
    ):
        return None
    trace_id, span_id = int(match[2], 16), int(match[3], 16)
    if not trace_id or not span_id:
        return None
    return Traceparent(trace_id, span_id, int(match[4], 16))


def format_traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    """Format a version 00 ``traceparent``; raises ValueError on an invalid id."""
    _check_ids(trace_id, span_id)
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def parse_baggage(value: str | Sequence[str]) -> Baggage:
    """Parse one or several ``baggage`` headers (several are joined as a list).

    ``sentry-*`` values are percent-decoded and their properties dropped; other members
    are kept as written. Malformed members are skipped; the last duplicate key wins.
    """
    headers = [value] if isinstance(value, str) else value
    sentry: dict[str, str] = {}
    third_party: list[str] = []
    for header in headers:
        for raw in header.split(","):
            member = raw.strip(_OWS)
            pair = member.split(";", 1)[0]
            key, equals, encoded = pair.partition("=")
            key = key.strip(_OWS)
            if not equals or not key:
                continue
            if key.startswith(BAGGAGE_PREFIX):
                sentry[key] = unquote(encoded.strip(_OWS))
            else:
                third_party.append(member)
    return Baggage(sentry, tuple(third_party))


def encode_baggage_member(key: str, value: str) -> str:
    """One ``key=value`` list member, percent-encoded."""
    # errors="replace": a lone surrogate (from a decoded header) must not stop the header
    encoded_key = quote(key, safe=_BAGGAGE_KEY_SAFE, errors="replace")
    return f"{encoded_key}={quote(value, safe=_BAGGAGE_VALUE_SAFE, errors='replace')}"


def format_baggage(sentry_entries: Mapping[str, str], third_party: Iterable[str]) -> str:
    """Format ``baggage`` within the W3C limits (180 members, 8192 bytes).

    Sentry entries come first and ``third_party`` members (already encoded) after them,
    so when the limits bite, third-party members are dropped first; a member that does
    not fit is dropped whole.
    """
    members = [encode_baggage_member(key, value) for key, value in sentry_entries.items()]
    members.extend(third_party)
    kept: list[str] = []
    size = 0
    for member in members:
        if len(kept) == MAX_BAGGAGE_MEMBERS:
            break
        added = len(member.encode(errors="replace")) + (1 if kept else 0)
        if member and size + added <= MAX_BAGGAGE_BYTES:
            kept.append(member)
            size += added
    return ",".join(kept)


def choose_parent(
    sentry_trace: SentryTrace | None,
    w3c_parent: SpanContext | None,
    baggage_trace_id: str | None,
) -> tuple[SpanContext, bool | None] | None:
    """The remote parent and its sampled decision, from whichever headers are present.

    When both name the same trace, the W3C parent is used (with its tracestate): a hop
    that only speaks W3C (a proxy) updates ``traceparent`` and forwards ``sentry-trace``
    untouched, so ``traceparent`` names the nearer parent. Its decision is the one of
    ``sentry-trace`` when both name the same span (``sentry-trace`` can say "deferred").
    When they name different traces, ``sentry-trace`` wins if the baggage's
    ``sentry-trace_id`` confirms it, else ``traceparent``.
    """
    if w3c_parent is None:
        if sentry_trace is None:
            return None
        return _span_context(sentry_trace.trace_id, sentry_trace.span_id, sentry_trace.sampled)
    w3c_sampled = w3c_parent.trace_flags.sampled
    if sentry_trace is None:
        return w3c_parent, w3c_sampled
    if sentry_trace.trace_id == w3c_parent.trace_id:
        if sentry_trace.span_id != w3c_parent.span_id or sentry_trace.sampled == w3c_sampled:
            return w3c_parent, w3c_sampled
        return _span_context(
            w3c_parent.trace_id, w3c_parent.span_id, sentry_trace.sampled, w3c_parent.trace_state
        )
    if baggage_trace_id == f"{sentry_trace.trace_id:032x}":
        return _span_context(sentry_trace.trace_id, sentry_trace.span_id, sentry_trace.sampled)
    return w3c_parent, w3c_sampled


def incoming_dsc(baggage: Baggage, trace_id: int) -> DynamicSamplingContext | None:
    """The DSC in ``baggage`` for ``trace_id``: None without Sentry entries or when the
    entries belong to another trace; entries lacking a trace id get this one."""
    if not baggage.sentry:
        return None
    dsc = DynamicSamplingContext.from_baggage_entries(baggage.sentry)
    if dsc is None:
        filled = {**baggage.sentry, BAGGAGE_PREFIX + "trace_id": f"{trace_id:032x}"}
        dsc = DynamicSamplingContext.from_baggage_entries(filled)
    if dsc is None or dsc.trace_id != f"{trace_id:032x}":
        return None
    return dsc


def extract_incoming(headers: Mapping[str, Any]) -> IncomingTrace | None:
    """Read the incoming trace from HTTP headers or a WSGI environ; None without one.

    Header names are matched case-insensitively, and ``HTTP_SENTRY_TRACE``-style WSGI
    keys are understood. See ``choose_parent`` for headers that disagree.
    """
    try:
        return _extract_incoming(_collect_headers(headers))
    except Exception:
        report_internal_error("extract_incoming")
        return None


def _extract_incoming(found: Mapping[str, list[str]]) -> IncomingTrace | None:
    sentry_values = found.get(SENTRY_TRACE_HEADER)
    sentry_trace = parse_sentry_trace(sentry_values[0]) if sentry_values else None
    traceparent_values = found.get(TRACEPARENT_HEADER)
    traceparent = parse_traceparent(traceparent_values[0]) if traceparent_values else None
    w3c_parent = None
    if traceparent is not None:
        w3c_parent = SpanContext(
            traceparent.trace_id,
            traceparent.span_id,
            is_remote=True,
            trace_flags=TraceFlags(traceparent.trace_flags & TraceFlags.SAMPLED),
            trace_state=TraceState.from_header(found.get(TRACESTATE_HEADER, [])),
        )
    baggage = parse_baggage(found.get(BAGGAGE_HEADER, []))
    chosen = choose_parent(sentry_trace, w3c_parent, baggage.sentry_trace_id())
    if chosen is None:
        return None
    span_context, parent_sampled = chosen
    return IncomingTrace(
        span_context, parent_sampled, incoming_dsc(baggage, span_context.trace_id), baggage
    )


def _collect_headers(headers: Mapping[Any, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in headers.items():
        if not isinstance(key, str):
            continue
        name = key.lower()
        if name.startswith("http_"):
            name = name[5:].replace("_", "-")
        if name in _INCOMING_HEADERS:
            found.setdefault(name, []).extend(header_strings(value))
    return found


def header_strings(value: object) -> list[str]:
    """The text of a header value: str, bytes (latin-1) or a list of them; else none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes):
        return [value.decode("latin-1")]
    if isinstance(value, (list, tuple)):  # a multi-valued header
        return [
            text
            for item in value
            if isinstance(item, (str, bytes))
            for text in header_strings(item)
        ]
    return []


def _span_context(
    trace_id: int, span_id: int, sampled: bool | None, trace_state: TraceState | None = None
) -> tuple[SpanContext, bool | None]:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=flags, trace_state=trace_state
    )
    return context, sampled


def _check_ids(trace_id: int, span_id: int) -> None:
    if not 0 < trace_id <= _MAX_TRACE_ID or not 0 < span_id <= _MAX_SPAN_ID:
        raise ValueError(f"invalid trace or span id: {trace_id:#x}, {span_id:#x}")
