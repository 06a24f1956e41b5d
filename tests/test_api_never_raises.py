"""Runtime calls never raise into the application (issue 12, item 7).

Each call below raised on the code before: a hostile ``__str__``, a wrong type, NaN, a
timestamp out of range. Now each coerces or drops its argument with one debug line on
logger ``scopetel``, and the data around it is still sent. Only ``init()`` with an
explicit bad keyword raises, and then ``TypeError``/``ValueError``.
"""

import contextvars
import datetime
import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.hostile import Hostile
from tests.support.relay import assert_valid_event

BROKEN_STR: Any = Hostile(frozenset({"str", "repr", "format"}))
BAD_TIMES: list[Any] = [math.nan, math.inf, 1e300, datetime.datetime(1, 1, 1), "2024-01-01", -5.0]


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as capturing:
        yield capturing


def _in_transaction(call: Callable[[scopetel.Transaction], object]) -> Callable[[], None]:
    def run() -> None:
        with scopetel.start_transaction(name="checkout", op="task") as transaction:
            call(transaction)

    return run


def _use_block(block: Any) -> None:
    with block:
        scopetel.get_current_scope().set_tag("inside", "yes")
        scopetel.get_isolation_scope().set_tag("inside", "yes")


CALLS: dict[str, Callable[[], object]] = {
    "set_tag(key with broken str)": lambda: scopetel.set_tag(BROKEN_STR, "v"),
    "set_tag(value with broken str)": lambda: scopetel.set_tag("k", BROKEN_STR),
    "set_extra(key with broken str)": lambda: scopetel.set_extra(BROKEN_STR, 1),
    "set_context(key with broken str)": lambda: scopetel.set_context(BROKEN_STR, {}),
    "set_transaction_name(broken str)": lambda: scopetel.set_transaction_name(BROKEN_STR),
    "set_tags(None)": lambda: scopetel.set_tags(None),  # type: ignore[arg-type]
    "set_level(['error'])": lambda: scopetel.set_level(["error"]),  # type: ignore[arg-type]
    "scope.fingerprint = 5": lambda: setattr(scopetel.get_current_scope(), "fingerprint", 5),
    "flush(inf)": lambda: scopetel.flush(math.inf),
    "flush(nan)": lambda: scopetel.flush(math.nan),
    "flush(1e308)": lambda: scopetel.flush(1e308),
    **{
        f"start_transaction(start_timestamp={when!r})": (
            lambda when=when: scopetel.start_transaction(name="t", start_timestamp=when).finish()
        )
        for when in BAD_TIMES
    },
    **{
        f"start_child(start_timestamp={when!r})": _in_transaction(
            lambda t, when=when: t.start_child(op="db", start_timestamp=when).finish()
        )
        for when in BAD_TIMES
    },
    **{
        f"finish(end_timestamp={when!r})": _in_transaction(
            lambda t, when=when: t.start_child(op="db").finish(end_timestamp=when)
        )
        for when in BAD_TIMES
    },
    "set_http_status(nan)": _in_transaction(lambda t: t.set_http_status(math.nan)),  # type: ignore[arg-type]
    "set_measurement(broken name)": _in_transaction(lambda t: t.set_measurement(BROKEN_STR, 1)),
    "set_status(broken str)": _in_transaction(lambda t: t.set_status(BROKEN_STR)),
    "start_span(attributes=[...])": _in_transaction(
        lambda t: scopetel.start_span(name="s", attributes=[1, 2]).finish()
    ),
    "start_transaction(tags=[...])": lambda: scopetel.start_transaction(
        name="t", tags=[1, 2]
    ).finish(),
    **{
        f"start_transaction({field}=broken str)": (
            lambda field=field: scopetel.start_transaction(**{"name": "t", field: BROKEN_STR})
        )
        for field in ("op", "origin", "name", "source")
    },
    "start_span(op=broken str)": _in_transaction(
        lambda t: scopetel.start_span(op=BROKEN_STR).finish()
    ),
    "span.op = broken str": _in_transaction(lambda t: setattr(t, "op", BROKEN_STR)),
    "use_scope('x')": lambda: _use_block(scopetel.use_scope("x")),  # type: ignore[arg-type]
    "use_isolation_scope(5)": lambda: _use_block(scopetel.use_isolation_scope(5)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_call_does_not_raise_and_other_data_is_sent(
    transport: CapturingTransport, call: Callable[[], object], caplog: pytest.LogCaptureFixture
) -> None:
    def scenario() -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("kept", "yes")
            with caplog.at_level(logging.DEBUG, logger="scopetel"):
                call()
            scopetel.capture_message("after the odd call")
            scopetel.flush()

    contextvars.copy_context().run(scenario)
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    (event,) = transport.events()
    assert event["tags"]["kept"] == "yes"
    assert_valid_event(event)
    for transaction in transport.transactions():
        assert_valid_event(transaction)


def test_later_calls_work_after_use_scope_with_a_non_scope(transport: CapturingTransport) -> None:
    def scenario() -> None:
        with scopetel.use_isolation_scope(5):  # type: ignore[arg-type]
            scopetel.set_tag("request", "r1")
            scopetel.capture_message("inside")
        with scopetel.use_scope("x"):  # type: ignore[arg-type]
            scopetel.get_current_scope().set_tag("block", "b1")
            scopetel.capture_message("inside too")

    contextvars.copy_context().run(scenario)
    first, second = transport.events()
    assert first["tags"]["request"] == "r1"
    assert second["tags"]["block"] == "b1"


@pytest.mark.parametrize("value", [10**400, float("inf"), float("nan")])
def test_init_with_an_absurd_number_raises_value_error(value: object) -> None:
    with pytest.raises(ValueError, match="max_breadcrumbs"):
        scopetel.init(max_breadcrumbs=value)
