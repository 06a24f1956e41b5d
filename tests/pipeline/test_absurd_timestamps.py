"""Absurd timestamps never make a transaction Relay rejects (issue 12, item 14).

A negative ``start_timestamp`` gave a transaction Relay refuses outright ("timestamp
is too stale"), one after the end "end timestamp is smaller than start timestamp".
Times Relay and OTLP cannot hold are ignored (the span's clock decides, with a debug
line), and a span never ends before it starts.
"""

import contextvars
import time

import pytest

import scopetel
from scopetel.testing import capture_envelopes
from tests.support.relay import assert_valid_event

ABSURD = [-5.0, -1e9, 1e15, 253402300800.0]


@pytest.mark.parametrize("when", ABSURD)
def test_an_absurd_start_or_end_gives_a_valid_transaction(when: float) -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:

        def scenario() -> None:
            with scopetel.start_transaction(name="import", start_timestamp=when) as transaction:
                child = transaction.start_child(op="db", start_timestamp=when)
                child.finish(end_timestamp=when)
            scopetel.start_transaction(name="ended", op="task").finish(end_timestamp=when)
            scopetel.flush()

        before = time.time()
        contextvars.copy_context().run(scenario)
    transactions = transport.transactions()
    assert len(transactions) == 2
    for transaction in transactions:
        assert_valid_event(transaction)
        assert before - 1 <= transaction["start_timestamp"] <= transaction["timestamp"]


def test_a_start_after_the_end_is_clamped() -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        later = time.time() + 3600  # a clock ahead, or a mistake: valid, but after the end

        def scenario() -> None:
            with scopetel.start_transaction(name="skewed", start_timestamp=later) as transaction:
                transaction.start_child(op="db", start_timestamp=later).finish()
            scopetel.flush()

        contextvars.copy_context().run(scenario)
    (transaction,) = transport.transactions()
    assert_valid_event(transaction)
    assert transaction["timestamp"] >= transaction["start_timestamp"] == pytest.approx(later)
    (span,) = transaction["spans"]
    assert span["timestamp"] >= span["start_timestamp"]
