"""A transaction has its trace id before it starts (issue 12, item 16).

``continue_trace()`` without usable headers made a transaction whose ``trace_id`` was
32 zeros until it started; code logging it, or returning it in a response header,
got an id no span ever had.
"""

import contextvars

import scopetel
from scopetel.testing import capture_envelopes


def test_a_new_trace_has_its_id_before_the_start_and_keeps_it() -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:

        def scenario() -> str:
            transaction = scopetel.continue_trace({"sentry-trace": "garbage"}, name="job")
            before = transaction.trace_id
            assert before != "0" * 32 and len(before) == 32
            with scopetel.start_transaction(transaction) as started:
                assert started.trace_id == before
                assert (scopetel.get_traceparent() or "").startswith(before)
            scopetel.flush()
            return before

        trace_id = contextvars.copy_context().run(scenario)
    (event,) = transport.transactions()
    assert event["contexts"]["trace"]["trace_id"] == trace_id


def test_a_continued_trace_keeps_its_parent_id() -> None:
    parent = "771a43a4192642f0b136d5159a501700"
    transaction = scopetel.continue_trace({"sentry-trace": f"{parent}-b3a1f0c24e5d6a7f-1"})
    assert transaction.trace_id == parent


def test_two_new_transactions_have_two_trace_ids() -> None:
    first, second = scopetel.continue_trace({}), scopetel.continue_trace({})
    assert first.trace_id != second.trace_id
