"""The dynamic sampling context (DSC): what Sentry needs to know about a trace's head.

A DSC is created once, by the service that starts a trace, then travels unchanged in
``baggage`` (``sentry-*`` entries) and appears as the ``trace`` header of every envelope
of that trace. Values are kept as the strings Sentry sends, so an incoming DSC is passed
on byte for byte.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from math import isfinite
from typing import Any, Final, Self

from scopetel_exporter_sentry.dsn import Dsn

from scopetel._config.options import Options
from scopetel._semconv.sentry_attributes import SAMPLE_RAND, SAMPLE_RATE
from scopetel._serialize import safe_str, truncate

BAGGAGE_PREFIX: Final = "sentry-"

_RAND_BITS: Final = 56  # W3C trace context level 2: the rightmost 7 bytes are random
_RAND_MASK: Final = (1 << _RAND_BITS) - 1
_MICRO: Final = 1_000_000
_SIX_DECIMALS: Final = Decimal("0.000001")
_MAX_RAND: Final = "0.999999"
_HEX: Final = frozenset("0123456789abcdef")

# Known fields in the order sentry-sdk writes them (the reference envelopes' ``trace``).
_FIELDS: Final = (
    "trace_id",
    "sample_rand",
    "environment",
    "release",
    "public_key",
    "transaction",
    "sample_rate",
    "sampled",
    "org_id",
)
_MAX_NAME: Final = 1024  # the default max_value_length, when no options are known
_LOW_QUALITY_SOURCES: Final = frozenset({"url"})  # names that may carry PII / high cardinality


@dataclass(frozen=True, slots=True)
class DynamicSamplingContext:
    """A frozen DSC; every value is the string that travels in baggage."""

    trace_id: str
    public_key: str | None = None
    sample_rate: str | None = None
    sample_rand: str | None = None
    sampled: str | None = None
    release: str | None = None
    environment: str | None = None
    transaction: str | None = None
    org_id: str | None = None
    # other sentry-* entries (e.g. replay_id), passed on unchanged: (name, value) pairs
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_baggage_entries(cls, entries: Mapping[str, str]) -> Self | None:
        """Build from decoded ``sentry-*`` baggage entries; None without a valid trace id.

        Entries without the ``sentry-`` prefix are ignored; empty values count as absent.
        """
        known: dict[str, str] = {}
        extra: list[tuple[str, str]] = []
        for key, value in entries.items():
            if not key.startswith(BAGGAGE_PREFIX) or not value:
                continue
            name = key[len(BAGGAGE_PREFIX) :]
            if not name:
                continue
            if name in _FIELDS:
                known[name] = value
            else:
                extra.append((name, value))
        trace_id = normalize_trace_id(known.pop("trace_id", ""))
        if trace_id is None:
            return None
        received = cls(
            trace_id=trace_id,
            public_key=known.get("public_key"),
            sample_rate=known.get("sample_rate"),
            sample_rand=known.get("sample_rand"),
            sampled=known.get("sampled"),
            release=known.get("release"),
            environment=known.get("environment"),
            transaction=known.get("transaction"),
            org_id=known.get("org_id"),
            extra=tuple(extra),
        )
        return received._valid()

    def _valid(self) -> Self:
        """This DSC with invalid members dropped, and an invalid ``sample_rand`` replaced.

        A ``sample_rate`` outside [0, 1] and a ``sampled`` other than ``true``/``false``
        are dropped; a ``sample_rand`` that is not a number in [0, 1) is replaced by one
        consistent with the trace's decision (as sentry-sdk does), so that what this
        service propagates is always valid.
        """
        rate = self.sample_rate if self.sample_rate_value() is not None else None
        sampled = self.sampled if self.sampled in ("true", "false") else None
        valid = replace(self, sample_rate=rate, sampled=sampled)
        if self.sample_rand is not None and self.sample_rand_value() is None:
            trace_id = int(self.trace_id, 16)
            rand = sample_rand_for(trace_id, replace(valid, sample_rand=None))
            valid = replace(valid, sample_rand=format_sample_rand(rand))
        return valid if valid != self else self

    def to_envelope_header(self) -> dict[str, str]:
        """The ``trace`` object of an envelope header (field names without prefix)."""
        header = {name: value for name in _FIELDS if (value := getattr(self, name)) is not None}
        header.update(self.extra)
        return header

    def to_baggage_entries(self) -> dict[str, str]:
        """The decoded ``sentry-*`` baggage entries (``sentry-trace_id`` …)."""
        return {BAGGAGE_PREFIX + name: value for name, value in self.to_envelope_header().items()}

    def sampled_flag(self) -> bool | None:
        """``sampled`` as a bool; None when absent or neither "true" nor "false"."""
        return {"true": True, "false": False}.get((self.sampled or "").strip().lower())

    def sample_rate_value(self) -> float | None:
        """``sample_rate`` as a float in [0, 1]; None when absent or invalid."""
        rate = _to_float(self.sample_rate)
        return rate if rate is not None and 0.0 <= rate <= 1.0 else None

    def sample_rand_value(self) -> float | None:
        """``sample_rand`` as a float in [0, 1); None when absent or invalid."""
        rand = _to_float(self.sample_rand)
        return rand if rand is not None and 0.0 <= rand < 1.0 else None


def normalize_trace_id(value: str) -> str | None:
    """A 32-digit lowercase hex trace id, or None when the value is not a valid one."""
    text = value.strip().lower()
    if len(text) != 32 or not _HEX.issuperset(text) or text == "0" * 32:
        return None
    return text


def sample_rand_from_trace_id(trace_id: int) -> float:
    """A value in [0, 1) with 6 decimals taken from the trace id's 56 random bits.

    Services that receive the trace without a DSC derive the same value, so their
    decisions at the same rate agree.
    """
    return ((trace_id & _RAND_MASK) * _MICRO >> _RAND_BITS) / _MICRO


def sample_rand_for(trace_id: int, dsc: DynamicSamplingContext | None) -> float:
    """The random value a sampler compares with its rate for ``trace_id``.

    The incoming DSC's ``sample_rand`` when it belongs to this trace; when it only has
    ``sample_rate`` and ``sampled`` (older SDKs), a value consistent with that decision
    (below the rate when sampled, at or above it when not); else the trace id's bits.
    """
    derived = sample_rand_from_trace_id(trace_id)
    if dsc is None or dsc.trace_id != f"{trace_id:032x}":
        return derived
    rand = dsc.sample_rand_value()
    if rand is not None:
        return rand
    rate, sampled = dsc.sample_rate_value(), dsc.sampled_flag()
    if rate is None or sampled is None:
        return derived
    if sampled and rate > 0.0:
        return derived * rate
    if not sampled and rate < 1.0:
        return rate + derived * (1.0 - rate)
    return derived


def format_sample_rand(value: float) -> str:
    """Six decimals, truncated (never rounded up to 1.0), like sentry-sdk."""
    if not isfinite(value) or value <= 0.0:
        return "0.000000"
    if value >= 1.0:
        return _MAX_RAND
    rand = Decimal(repr(value)).quantize(_SIX_DECIMALS, rounding=ROUND_DOWN)
    return f"{rand:.6f}"


def format_sample_rate(value: float) -> str:
    """Like sentry-sdk: the float's str (``1.0``, ``0.25``)."""
    return str(float(value))


def dsc_for_new_trace(
    trace_id: int,
    *,
    public_key: str | None,
    release: str | None,
    environment: str | None,
    transaction: str | None,
    transaction_source: str | None,
    sample_rate: float | None,
    sample_rand: float | None,
    sampled: bool | None,
    org_id: str | None = None,
) -> DynamicSamplingContext:
    """The DSC of a trace this service starts (the head of the trace).

    The transaction name is left out when its source is ``url``: raw URLs can carry
    personal data and have unbounded cardinality.
    """
    if transaction_source in _LOW_QUALITY_SOURCES:
        transaction = None
    elif transaction:  # baggage and envelope headers are UTF-8: escape lone surrogates
        transaction = safe_str(transaction, len(transaction))
    return DynamicSamplingContext(
        trace_id=f"{trace_id:032x}",
        public_key=public_key or None,
        sample_rate=format_sample_rate(sample_rate) if sample_rate is not None else None,
        sample_rand=None if sample_rand is None else format_sample_rand(sample_rand),
        sampled=None if sampled is None else ("true" if sampled else "false"),
        release=release or None,
        environment=environment or None,
        transaction=transaction or None,
        org_id=org_id or None,
    )


def dsc_for_root(
    trace_id: int,
    *,
    options: Options | None,
    attributes: Mapping[str, Any],
    name: str | None,
    source: str | None,
    sampled: bool | None,
) -> DynamicSamplingContext:
    """The DSC of a trace this service started, from its root span and the options.

    The sample rate and random value are those the sampler recorded on the root (else
    ``traces_sample_rate`` and the trace id's random bits). Without options (a plain
    OpenTelemetry propagator) release, environment and public key are unknown.
    """
    rate = attributes.get(SAMPLE_RATE)
    rand = attributes.get(SAMPLE_RAND)
    limit = options.max_value_length if options is not None else _MAX_NAME
    if name is not None and len(name) > limit:
        name = truncate(name, limit)  # frozen per trace: a huge name must not be kept
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        rate = options.traces_sample_rate if options is not None else None
    return dsc_for_new_trace(
        trace_id,
        public_key=public_key(options),
        release=options.release if options is not None else None,
        environment=options.environment if options is not None else None,
        transaction=name,
        transaction_source=source,
        sample_rate=None if rate is None else float(rate),
        sample_rand=rand if isinstance(rand, float) else sample_rand_from_trace_id(trace_id),
        sampled=sampled,
        org_id=options.org_id if options is not None else None,
    )


def dsc_for_scope(trace_id: int, options: Options | None) -> DynamicSamplingContext:
    """The DSC of the trace an isolation scope carries when no span is active.

    Nothing is decided for it yet: no sampled flag, no random value, no transaction
    (as sentry_sdk's propagation context sends it).
    """
    rate = options.traces_sample_rate if options is not None else None
    return dsc_for_new_trace(
        trace_id,
        public_key=public_key(options),
        release=options.release if options is not None else None,
        environment=options.environment if options is not None else None,
        transaction=None,
        transaction_source=None,
        sample_rate=rate,
        sample_rand=None,
        sampled=None,
        org_id=options.org_id if options is not None else None,
    )


def public_key(options: Options | None) -> str | None:
    """The DSN's public key (``sentry-public_key``), or None without a DSN."""
    return _public_key(options.dsn) if options is not None and options.dsn else None


@lru_cache(maxsize=8)
def _public_key(dsn: str) -> str:
    return Dsn.parse(dsn).public_key


def _to_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if isfinite(number) else None
