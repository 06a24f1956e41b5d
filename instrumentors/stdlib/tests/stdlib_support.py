"""Helpers for the stdlib instrumentor tests: instrument for one test, capture events."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

InstrumentorT = TypeVar("InstrumentorT")


def uninstrumented(instrumentor: InstrumentorT) -> InstrumentorT:
    """``instrumentor``, uninstrumented if an earlier ``scopetel.init()`` instrumented it."""
    if instrumentor.is_instrumented_by_opentelemetry:  # type: ignore[attr-defined]
        instrumentor.uninstrument()  # type: ignore[attr-defined]
    return instrumentor


@contextmanager
def instrumented(instrumentor: InstrumentorT, **kwargs: Any) -> Iterator[InstrumentorT]:
    """Instrument (anew, with ``kwargs``) for a block, and uninstrument after it.

    An earlier ``scopetel.init()`` in the same process may have instrumented it with
    defaults already; that is undone first so the keywords take effect.
    """
    uninstrumented(instrumentor).instrument(**kwargs)  # type: ignore[attr-defined]
    try:
        yield instrumentor
    finally:
        instrumentor.uninstrument()  # type: ignore[attr-defined]


@contextmanager
def capturing(**options: Any) -> Iterator[CapturingTransport]:
    """``capture_envelopes`` without default instrumentors; every event Relay-checked."""
    options.setdefault("default_integrations", False)
    with capture_envelopes(**options) as transport:
        yield transport
    for event in transport.events():
        assert_valid_event(event)
