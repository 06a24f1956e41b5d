"""Property-based fuzz of the public API: never raise into user code, never lose silently.

Hypothesis draws hostile values (objects whose ``__str__``/``__repr__``/``__eq__``/
``__hash__``/``__iter__``/``__len__``/``__bool__`` raise, deep and cyclic structures,
NaN/inf/huge ints, bytes, lone surrogates, wrong types) and random sequences of API
operations: scopes entered and left in any order, spans started and finished out of
order, captures, breadcrumbs, tags, contexts, event processors, ``continue_trace`` with
junk headers, ``flush``. They run against a real client with an in-process transport
and the suite's ``SCOPETEL_RAISE_INTERNAL_ERRORS=1``, so an internal error escapes too.

Asserted for every example:

- nothing escapes into the caller (only a traced function's own exception, unchanged);
- every event and transaction passes Relay's normalizer (no exception, no ``errors``,
  no ``_meta``), and every envelope serializes;
- what was sent plus what client reports count as dropped equals what was produced:
  each error event accepted by a capture call, each sampled span (in a transaction or
  counted), each started root (sent, counted as dropped, or unsampled and counted).

``SCOPETEL_FUZZ_EXAMPLES=20000`` runs a long, randomized search (default: 300
examples, derandomized, for CI).
"""

import contextvars
import datetime
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scopetel_exporter_sentry.envelope import parse_envelope, serialize_envelope

import scopetel
from scopetel.testing import CapturingTransport
from tests.support.hostile import (
    DUNDERS,
    Hostile,
    HostileDict,
    HostileList,
    HostileStr,
    cyclic,
    deep_dict,
    deep_list,
)
from tests.support.relay import assert_valid_event

EXAMPLES = int(os.environ.get("SCOPETEL_FUZZ_EXAMPLES", "300"))
LONG_RUN = "SCOPETEL_FUZZ_EXAMPLES" in os.environ
TRACE_ID = "771a43a4192642f0b136d5159a501700"
DROP = "drop-me"  # a message, transaction name or breadcrumb the hooks drop
TOTALS: Counter[str] = Counter()  # what the examples of this run produced

# -- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Make:
    """A hostile value, described; built fresh by :func:`materialize` when an operation
    runs (hypothesis itself never holds, hashes or prints the hostile object)."""

    kind: str
    arg: Any = None


def materialize(value: Any) -> Any:
    """``value`` with every :class:`Make` replaced by the object it describes."""
    if isinstance(value, Make):
        return _BUILDERS[value.kind](value.arg)
    if type(value) is list:
        return [materialize(item) for item in value]
    if type(value) is tuple:
        return tuple(materialize(item) for item in value)
    if type(value) is dict:
        return {materialize(key): materialize(inner) for key, inner in value.items()}
    return value


_BUILDERS: dict[str, Callable[[Any], Any]] = {
    "hostile": lambda broken: Hostile(frozenset(broken)),
    "hostile_key": lambda _: Hostile(frozenset({"str", "repr", "format", "bool", "len"})),
    "hostile_str": HostileStr,
    "hostile_dict": lambda items: HostileDict(items),
    "hostile_list": HostileList,
    "deep_list": deep_list,
    "deep_dict": deep_dict,
    "cyclic": lambda _: cyclic(),
}

_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "a\nb", "\ud800", "x\udfffy", "é/ü", "b'auto'", DROP, "ok"]),
)
_numbers = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 10**400, -(10**30), 2**64]),
)
_times = st.one_of(
    st.floats(min_value=-1e12, max_value=1e13),
    st.builds(lambda delta: time.time() - delta, st.floats(0, 100)),
    st.datetimes(),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.sampled_from([datetime.datetime(1, 1, 1), "2024-01-01", math.nan, math.inf, 1e300]),
)
_hostile = st.one_of(
    st.builds(Make, st.just("hostile"), st.frozensets(st.sampled_from(DUNDERS), min_size=1)),
    st.builds(Make, st.just("hostile_str"), st.text(max_size=6)),
    st.builds(
        Make,
        st.just("hostile_dict"),
        st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    ),
    st.builds(Make, st.just("hostile_list"), st.lists(st.integers(), max_size=3)),
)
_special = st.one_of(
    st.builds(
        Make, st.sampled_from(["deep_list", "deep_dict"]), st.sampled_from([40, 1_000, 20_000])
    ),
    st.just(Make("cyclic")),
)
_leaves = st.one_of(
    st.none(), st.booleans(), _numbers, _texts, st.binary(max_size=12), _times, _hostile
)
_keys = st.one_of(st.text(max_size=6), st.integers(), st.just(Make("hostile_key")))
values = st.one_of(
    st.recursive(
        _leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(_keys, inner, max_size=4),
            st.tuples(inner, inner),
        ),
        max_leaves=10,
    ),
    _special,
)
mappings = st.one_of(st.dictionaries(st.one_of(_texts, st.integers()), values, max_size=4), values)


_named = st.one_of(st.just(DROP), st.just("checkout"), values)  # DROP: the hooks drop it
_FAVOURED: dict[str, st.SearchStrategy[Any]] = {
    "name": _named,
    "message": _named,
    "start_timestamp": _times,
    "timestamp": _times,
    "sampled": st.one_of(st.booleans(), values),
    "parent_sampled": st.one_of(st.booleans(), values),
    "trace_id": st.one_of(st.just(TRACE_ID), values),
    "parent_span_id": st.one_of(st.just("b3a1f0c24e5d6a7f"), values),
}


def _kwargs(names: list[str]) -> Any:
    """Some of ``names`` as keyword arguments, with (mostly hostile) values."""
    return st.fixed_dictionaries({}, optional={name: _FAVOURED.get(name, values) for name in names})


_SENTRY_TRACES = [
    f"{TRACE_ID}-b3a1f0c24e5d6a7f-1",
    f"{TRACE_ID}-b3a1f0c24e5d6a7f-0",
    f"{TRACE_ID}-b3a1f0c24e5d6a7f",
    f"00-{TRACE_ID}-b3a1f0c24e5d6a7f-01",
    f"00-{TRACE_ID}-b3a1f0c24e5d6a7f-00",
]
_headers = st.one_of(
    st.fixed_dictionaries(
        {"sentry-trace": st.sampled_from(_SENTRY_TRACES)},
        optional={"traceparent": st.sampled_from(_SENTRY_TRACES), "baggage": values},
    ),
    st.dictionaries(
        st.one_of(
            st.sampled_from(["sentry-trace", "baggage", "traceparent", "tracestate"]),
            st.sampled_from(["HTTP_SENTRY_TRACE", "HTTP_BAGGAGE", "Sentry-Trace"]),
            _texts,
        ),
        st.one_of(
            st.sampled_from(
                [
                    f"{TRACE_ID}-b3a1f0c24e5d6a7f-1",
                    f"{TRACE_ID}-b3a1f0c24e5d6a7f-0",
                    f"{TRACE_ID}-b3a1f0c24e5d6a7f",
                    f"00-{TRACE_ID}-b3a1f0c24e5d6a7f-01",
                    f"sentry-trace_id={TRACE_ID},sentry-sample_rand=1.5,sentry-transaction=%FF",
                    f"sentry-trace_id={TRACE_ID},sentry-sample_rate=nan,sentry-sampled= true",
                ]
            ),
            values,
        ),
        max_size=4,
    ),
    values,
)

_SPAN_KWARGS = ["op", "name", "description", "origin", "attributes", "start_timestamp"]
_TRANSACTION_KWARGS = [
    *_SPAN_KWARGS,
    "source",
    "tags",
    "data",
    "status",
    "sampled",
    "trace_id",
    "parent_span_id",
    "parent_sampled",
]
_EVENT_KEYS = [
    "message", "level", "extra", "tags", "fingerprint", "event_id", "contexts", "user",
    "transaction", "logger", "timestamp", "breadcrumbs", "unknown_key",
]  # fmt: skip

# -- operations -------------------------------------------------------------------------

_SCOPE_BLOCKS = ["isolation_scope", "new_scope", "use_scope", "use_isolation_scope"]
_SPAN_METHODS = [
    "set_tag", "set_data", "set_attribute", "set_status", "set_http_status",
    "set_measurement", "name", "op", "description", "source", "finish", "read",
]  # fmt: skip
_SCOPE_METHODS = [
    "set_tag", "set_tags", "remove_tag", "set_user", "set_context", "remove_context",
    "set_extra", "remove_extra", "set_level", "fingerprint", "set_transaction_name",
    "add_event_processor", "clear_breadcrumbs",
]  # fmt: skip
_MODULE_SETTERS = [
    "set_tag", "set_tags", "set_extra", "set_context", "set_user", "set_level",
    "set_measurement", "set_transaction_name",
]  # fmt: skip
_PROCESSORS = ["keep", "drop", "junk", "raise", "pollute"]

operations = st.one_of(
    st.tuples(st.just("processor"), st.sampled_from(_PROCESSORS)),
    st.tuples(st.just("scope"), st.sampled_from(_SCOPE_BLOCKS), st.integers(0, 9), values),
    st.tuples(st.just("exit"), st.integers(0, 99)),
    st.tuples(st.just("start_span"), _kwargs(_SPAN_KWARGS), st.booleans()),
    st.tuples(st.just("start_transaction"), _kwargs(_TRANSACTION_KWARGS), st.booleans()),
    st.tuples(
        st.just("continue_trace"),
        _headers,
        _kwargs(["op", "name", "source", "origin"]),
        st.booleans(),
        st.sampled_from(["start", "enter", "read", "junk"]),
    ),
    st.tuples(st.just("start_child"), st.integers(0, 99), _kwargs(_SPAN_KWARGS), st.booleans()),
    st.tuples(st.just("finish"), st.integers(0, 99), st.one_of(st.none(), _times)),
    st.tuples(
        st.just("span_call"),
        st.integers(0, 99),
        st.sampled_from(_SPAN_METHODS),
        st.lists(values, min_size=3, max_size=3),
    ),
    st.tuples(
        st.just("scope_call"),
        st.sampled_from(["current", "isolation"]),
        st.sampled_from(_SCOPE_METHODS),
        st.lists(_named, min_size=2, max_size=2),
        st.sampled_from(_PROCESSORS),
    ),
    st.tuples(
        st.just("module_call"),
        st.sampled_from(_MODULE_SETTERS),
        st.lists(values, min_size=3, max_size=3),
    ),
    st.tuples(
        st.just("breadcrumb"),
        mappings,
        values,
        _kwargs(
            ["message", "level", "data", "category", "type", "timestamp", "event_id", "extra_field"]
        ),
    ),
    st.tuples(st.just("capture_message"), _named, values, _kwargs(["tags", "extras", "user"])),
    st.tuples(
        st.just("capture_exception"),
        values,
        st.sampled_from(["instance", "active", "junk"]),
        _kwargs(["tags", "contexts", "user", "fingerprint", "scope"]),
    ),
    st.tuples(
        st.just("capture_event"),
        st.one_of(st.dictionaries(st.sampled_from(_EVENT_KEYS), values, max_size=6), values),
        values,
        _kwargs(["tags", "extras", "contexts", "level", "scope"]),
    ),
    st.tuples(
        st.just("trace"), values, values, st.sampled_from(["function", "generator", "raise"])
    ),
    st.tuples(st.just("read"), st.sampled_from(["baggage", "traceparent", "span", "last_id"])),
    st.tuples(st.just("flush"), st.one_of(st.none(), st.just(0), values)),
)


class Boom(Exception):
    """A traced function's own exception: it must reach its caller unchanged."""


def _processor(kind: str) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
    def processor(event: dict[str, Any], hint: dict[str, Any]) -> Any:
        if kind == "drop":
            return None
        if kind == "junk":
            return 5
        if kind == "raise":
            raise Boom("processor")
        if kind == "pollute":
            event["extra"] = {"deep": deep_list(5_000), "hostile": Hostile()}
            event["tags"] = {Hostile(frozenset({"str"})): Hostile(), "": "x"}
            event.setdefault("contexts", {})["polluted"] = cyclic()
        return event

    return processor


def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> Any:
    return None if event.get("message") == DROP else event


def _before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> Any:
    return None if event.get("transaction") == DROP else event


def _before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> Any:
    message = crumb.get("message")
    if message == DROP:
        return None
    return 5 if message == "junk" else crumb


# -- the interpreter --------------------------------------------------------------------


@dataclass
class Session:
    """Runs one example's operations; keeps what it opened and what it produced."""

    blocks: list[Any] = field(default_factory=list)  # entered, not yet exited
    spans: list[scopetel.Span] = field(default_factory=list)  # every facade seen
    scopes: list[scopetel.Scope] = field(default_factory=list)
    errors_produced: int = 0

    def run(self, ops: list[tuple[Any, ...]]) -> None:
        with scopetel.isolation_scope() as isolation:
            self.scopes.append(isolation)
            for op in ops:
                self.step(op)
            while self.blocks:
                self.blocks.pop().__exit__(None, None, None)
        for span in self.spans:
            span.finish()
        scopetel.flush(5.0)

    def step(self, op: tuple[Any, ...]) -> None:
        kind, *args = op
        getattr(self, "op_" + kind)(*materialize(args))

    def _span(self, index: int) -> scopetel.Span | None:
        return self.spans[index % len(self.spans)] if self.spans else None

    def _keep(self, span: object, enter: bool) -> None:
        assert isinstance(span, scopetel.Span), f"got {type(span).__name__}"
        self.spans.append(span)
        if enter:
            self.blocks.append(span)
            span.__enter__()

    def op_scope(self, kind: str, index: int, junk: object) -> None:
        if kind in ("use_scope", "use_isolation_scope"):
            target = self.scopes[index % len(self.scopes)] if index < 5 else junk
            block = getattr(scopetel, kind)(target)
        else:
            block = getattr(scopetel, kind)()
        self.blocks.append(block)
        entered = block.__enter__()
        assert isinstance(entered, scopetel.Scope)
        self.scopes.append(entered)

    def op_exit(self, index: int) -> None:
        if self.blocks:
            self.blocks.pop(index % len(self.blocks)).__exit__(None, None, None)

    def op_start_span(self, kwargs: dict[str, Any], enter: bool) -> None:
        self._keep(scopetel.start_span(**kwargs), enter)

    def op_start_transaction(self, kwargs: dict[str, Any], enter: bool) -> None:
        self._keep(scopetel.start_transaction(**kwargs), enter)

    def op_continue_trace(self, headers: Any, kwargs: dict[str, Any], enter: bool, how: str):  # type: ignore[no-untyped-def]
        transaction = scopetel.continue_trace(headers, **kwargs)
        trace_id = transaction.trace_id
        assert len(trace_id) == 32 and int(trace_id, 16), trace_id
        if how == "read":
            return  # never started: nothing produced
        if how == "junk":
            junk: Any = Hostile()
            started = scopetel.start_transaction(junk, name=kwargs.get("name"))
        elif how == "enter":
            started = transaction
        else:
            started = scopetel.start_transaction(transaction, custom_sampling_context=headers)
        self._keep(started, enter or how == "enter")
        if started is transaction:
            assert started.trace_id == trace_id, "the trace id changed when it started"

    def op_start_child(self, index: int, kwargs: dict[str, Any], enter: bool) -> None:
        parent = self._span(index)
        if parent is not None:
            self._keep(parent.start_child(**kwargs), enter)

    def op_finish(self, index: int, when: Any) -> None:
        span = self._span(index)
        if span is not None:
            span.finish(end_timestamp=when)

    def op_span_call(self, index: int, method: str, args: list[Any]) -> None:
        span = self._span(index)
        if span is None:
            return
        if method == "source" and not isinstance(span, scopetel.Transaction):
            return  # only a transaction has a source
        if method in ("name", "op", "description", "source"):
            setattr(span, method, args[0])
        elif method == "finish":
            span.finish(args[0], args[1])
        elif method == "read":
            for text in (span.trace_id, span.span_id, span.to_traceparent()):
                assert isinstance(text, str)
            assert isinstance(span.to_baggage(), str | None)
            assert isinstance(span.name, str | None) and isinstance(span.op, str | None)
        elif method in ("set_status", "set_http_status"):
            getattr(span, method)(args[0])
        elif method == "set_measurement":
            span.set_measurement(*args)
        else:
            getattr(span, method)(args[0], args[1])

    def op_scope_call(self, which: str, method: str, args: list[Any], processor: str) -> None:
        scope = (
            scopetel.get_current_scope() if which == "current" else scopetel.get_isolation_scope()
        )
        if method == "fingerprint":
            scope.fingerprint = args[0]
        elif method == "add_event_processor":
            scope.add_event_processor(_processor(processor) if processor != "junk" else args[0])
        elif method == "clear_breadcrumbs":
            scope.clear_breadcrumbs()
        elif method in ("set_tags", "set_user", "set_level", "remove_tag", "remove_context"):
            getattr(scope, method)(args[0])
        elif method in ("remove_extra",):
            scope.remove_extra(args[0])
        else:
            getattr(scope, method)(args[0], args[1])

    def op_processor(self, kind: str) -> None:
        scopetel.get_current_scope().add_event_processor(_processor(kind))

    def op_module_call(self, function: str, args: list[Any]) -> None:
        if function in ("set_tags", "set_user", "set_level"):
            getattr(scopetel, function)(args[0])
        elif function == "set_measurement":
            scopetel.set_measurement(*args)
        else:
            getattr(scopetel, function)(args[0], args[1])

    def op_breadcrumb(self, crumb: Any, hint: Any, kwargs: dict[str, Any]) -> None:
        scopetel.add_breadcrumb(crumb, hint, **kwargs)

    def op_capture_message(self, message: Any, level: Any, kwargs: dict[str, Any]) -> None:
        self.errors_produced += 1
        scopetel.capture_message(message, level, **kwargs)

    def op_capture_exception(self, value: Any, how: str, kwargs: dict[str, Any]) -> None:
        if how == "junk":
            scopetel.capture_exception(value, **kwargs)  # not an exception: nothing to send
            return
        self.errors_produced += 1
        error = ValueError(value)
        if how == "instance":
            scopetel.capture_exception(error, **kwargs)
            return
        try:
            raise error
        except ValueError:
            scopetel.capture_exception(**kwargs)

    def op_capture_event(self, event: Any, hint: Any, kwargs: dict[str, Any]) -> None:
        if isinstance(event, dict):
            self.errors_produced += 1
        scopetel.capture_event(event, hint, **kwargs)

    def op_trace(self, op: Any, name: Any, kind: str) -> None:
        seen: list[scopetel.Span | None] = []

        def body() -> str:
            seen.append(scopetel.get_current_span())
            if kind == "raise":
                raise Boom("traced")
            return "done"

        def generator() -> Iterator[str]:
            seen.append(scopetel.get_current_span())
            yield "done"

        traced = scopetel.trace(op=op, name=name)(generator if kind == "generator" else body)
        try:
            result = list(traced()) if kind == "generator" else [traced()]
        except Boom:
            assert kind == "raise", "a traced function's exception changed"
        else:
            assert result == ["done"] and kind != "raise"
        scopetel.trace(op)  # @trace(junk): junk left undecorated, nothing raised
        for span in seen:
            assert span is not None
            self.spans.append(span)

    def op_read(self, what: str) -> None:
        if what == "baggage":
            assert isinstance(scopetel.get_baggage(), str | None)
        elif what == "traceparent":
            assert isinstance(scopetel.get_traceparent(), str | None)
        elif what == "span":
            scopetel.get_current_span()
        else:
            assert isinstance(scopetel.last_event_id(), str | None)

    def op_flush(self, timeout: Any) -> None:
        scopetel.flush(timeout)


# -- the checks -------------------------------------------------------------------------


def check_accounting(session: Session, transport: CapturingTransport) -> None:
    """Sent + counted as dropped == produced, for errors, spans and roots."""
    lost: Counter[str] = Counter()
    for (reason, category), quantity in transport.lost.items():
        lost[category] += quantity
        if reason == "sample_rate":
            lost["unsampled " + category] += quantity
    events = transport.events()
    transactions = transport.transactions()
    assert len(events) + lost["error"] == session.errors_produced, (len(events), lost)

    unique = {id(span): span for span in session.spans}.values()
    sampled = {int(span.span_id, 16) for span in unique if span.sampled}
    roots = [span for span in unique if isinstance(span, scopetel.Transaction) and span.started]
    sampled_roots = {int(root.span_id, 16) for root in roots if root.sampled}
    sent: list[int] = []
    sent_roots: set[int] = set()
    for transaction in transactions:
        root = int(transaction["contexts"]["trace"]["span_id"], 16)
        sent_roots.add(root)
        sent += [root, *(int(span["span_id"], 16) for span in transaction["spans"])]
    assert len(sent) == len(set(sent)), "a span was sent twice"
    assert set(sent) <= sampled, "a span nobody started (or unsampled) was sent"
    sampled_lost = lost["span"] - lost["unsampled span"]
    assert len(sent) + sampled_lost == len(sampled), (len(sent), lost, len(sampled))
    unsampled_roots = sum(1 for root in roots if not root.sampled)
    assert lost["unsampled transaction"] == unsampled_roots, (lost, unsampled_roots)
    assert lost["unsampled span"] == unsampled_roots, (lost, unsampled_roots)  # the root
    missing = sampled_roots - sent_roots
    assert len(missing) <= lost["transaction"] - lost["unsampled transaction"], (missing, lost)


def check_wire(transport: CapturingTransport) -> None:
    """Every envelope serializes; every event and transaction passes Relay's normalizer."""
    for envelope in transport.envelopes:
        parsed = parse_envelope(serialize_envelope(envelope))
        for item in parsed.items:
            if item.type in ("event", "transaction"):
                payload = item.json()
                assert parsed.headers["event_id"] == payload["event_id"]
                assert_valid_event(payload)
        trace = parsed.headers.get("trace", {})
        assert all(isinstance(value, str) for value in trace.values()), trace


@pytest.fixture(scope="module")
def transport() -> Iterator[CapturingTransport]:
    capturing = CapturingTransport()
    scopetel.init(
        transport=capturing,
        traces_sample_rate=1.0,
        default_integrations=False,
        before_send=_before_send,
        before_send_transaction=_before_send_transaction,
        before_breadcrumb=_before_breadcrumb,
        max_breadcrumbs=20,
        late_children_timeout=30.0,
    )
    yield capturing
    scopetel.flush(5.0)
    if LONG_RUN:  # the figures of a long run, for its report
        print(f"\nfuzz totals: {dict(TOTALS)}")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(ops=st.lists(operations, min_size=4, max_size=40))
def test_api_never_raises_and_never_loses(
    transport: CapturingTransport, ops: list[tuple[Any, ...]]
) -> None:
    transport.clear()
    session = Session()
    contextvars.copy_context().run(session.run, ops)
    check_wire(transport)
    check_accounting(session, transport)
    TOTALS.update(
        examples=1,
        operations=len(ops),
        events=len(transport.events()),
        transactions=len(transport.transactions()),
        dropped=sum(transport.lost.values()),
    )
