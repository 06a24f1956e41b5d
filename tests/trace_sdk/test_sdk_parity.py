"""The lean provider gives span processors and OTLP exporters what the SDK's gives them.

Each test runs the same code on both providers (``parity.both``) and compares the OTLP
payloads field by field: ids, names, kinds, parents, flags, attributes (validated and
limited the OpenTelemetry way), events, links, status, dropped counts, resource and
instrumentation scope.
"""

import asyncio
from typing import Any

import pytest
from opentelemetry import context, trace
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from scopetel._trace_sdk.provider import LeanTracerProvider
from scopetel._trace_sdk.span import RecordingSpan
from scopetel._trace_sdk.unsampled import UnsampledSpan
from scopetel._tracing.sampler import TracesSampler
from tests.trace_sdk.parity import both, run


class Texty:
    def __str__(self) -> str:
        return "texty"


class Opaque:
    __slots__ = ()


REMOTE = SpanContext(
    0x4BF92F3577B34DA6A3CE929D0E0E4736,
    0x00F067AA0BA902B7,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
    trace_state=TraceState([("vendor", "value")]),
)


def nested_work(tracer: trace.Tracer) -> None:
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, attributes={"a": 1}) as root:
        root.set_attribute("str", "text")
        root.set_attribute("float", 1.5)
        root.set_attribute("bool", True)
        root.set_attribute("list", [1, 2, 3])
        root.set_attribute("tuple", ("a", "b"))
        root.set_attribute("mixed", [1, "a", None])
        root.set_attribute("none", None)
        root.set_attribute("bytes", b"raw")
        root.set_attribute("map", {"k": [1, {"deep": Texty()}], 3: "int key", "": "empty"})
        root.set_attribute("texty", Texty())  # type: ignore[arg-type]
        root.set_attribute("opaque", Opaque())  # type: ignore[arg-type]
        root.set_attribute("", "empty key")
        root.set_attribute(7, "int key")  # type: ignore[arg-type]
        root.set_attribute("a", 2)  # set again: moves to the end
        root.set_attributes({"many": 1, 5: "int key", "more": [True, False]})  # type: ignore[dict-item]
        root.add_event("started", {"n": 1, "l": ["x"]})
        root.add_event("at", timestamp=1234)
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT) as child:
            child.update_name("renamed")
            child.set_status(Status(StatusCode.OK))
            child.set_status(StatusCode.ERROR, "ignored after OK")
            with tracer.start_as_current_span("grandchild", attributes={"g": "x"}):
                pass
        sibling = tracer.start_span("manual", links=[Link(REMOTE, {"why": "batch"})])
        sibling.add_link(REMOTE, {"again": 1})
        sibling.add_link(trace.INVALID_SPAN_CONTEXT)  # invalid and empty: not kept
        sibling.set_status(Status(StatusCode.ERROR, "described"), "and ignored")
        sibling.end(end_time=sibling.start_time + 5)  # type: ignore[attr-defined]
        sibling.end()  # twice: a warning, no second span
        sibling.set_attribute("late", 1)  # after the end: ignored
        sibling.update_name("late")
        sibling.add_event("late")
        sibling.set_status(StatusCode.ERROR)


def test_attributes_events_links_status_and_names_are_what_the_sdk_exports() -> None:
    sdk, lean = both(nested_work)
    assert lean == sdk


def errors(tracer: trace.Tracer) -> None:
    with tracer.start_as_current_span("outer"):
        with pytest.raises(ValueError):
            with tracer.start_as_current_span("raises"):
                raise ValueError("boom")
        with pytest.raises(KeyError):
            with tracer.start_span("span as context manager"):
                raise KeyError("escaped")
        with pytest.raises(ValueError):
            with tracer.start_as_current_span(
                "quiet", record_exception=False, set_status_on_exception=False
            ):
                raise ValueError("not recorded")
        with pytest.raises(asyncio.CancelledError):
            with tracer.start_as_current_span("cancelled"):
                raise asyncio.CancelledError()
        span = tracer.start_span("recorded by hand")
        try:
            raise RuntimeError("by hand")
        except RuntimeError as error:
            span.record_exception(error, {"extra": 1}, timestamp=99, escaped=True)
        span.end()


def test_exceptions_are_recorded_as_the_sdk_records_them() -> None:
    sdk, lean = both(errors)
    assert lean == sdk


def remote_and_explicit(tracer: trace.Tracer) -> None:
    remote = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE))
    with tracer.start_as_current_span("continued", context=remote, start_time=1000):
        with tracer.start_as_current_span("inner", end_on_exit=False) as inner:
            pass
        inner.end(2000)
    unsampled_parent = SpanContext(REMOTE.trace_id, 5, True, TraceFlags(0))
    dropped = tracer.start_span(
        "remote not sampled", trace.set_span_in_context(trace.NonRecordingSpan(unsampled_parent))
    )
    dropped.end()
    root = tracer.start_span("root in an empty context", context.Context())
    root.end()


@pytest.mark.parametrize(
    "sampler",
    [None, ALWAYS_ON, ParentBased(TraceIdRatioBased(0.5)), TracesSampler(traces_sample_rate=1.0)],
    ids=["default", "always_on", "ratio", "traces_sampler"],
)
def test_remote_parents_and_explicit_times(sampler: Any) -> None:
    sdk, lean = both(remote_and_explicit, sampler=sampler)
    assert lean == sdk


def many_roots(tracer: trace.Tracer) -> list[tuple[int, int, int, str]]:
    """Roots with children, half of them sampled out; returns every span context."""
    seen: list[tuple[int, int, int, str]] = []
    for index in range(40):
        with tracer.start_as_current_span(f"root {index}") as root:
            with tracer.start_as_current_span("child") as child:
                with tracer.start_as_current_span("grandchild") as grandchild:
                    for span in (root, child, grandchild):
                        ctx = span.get_span_context()
                        seen.append(
                            (
                                ctx.trace_id,
                                ctx.span_id,
                                ctx.trace_flags,
                                ctx.trace_state.to_header(),
                            )
                        )
    return seen


@pytest.mark.parametrize(
    "sampler",
    [ParentBased(TraceIdRatioBased(0.5)), TracesSampler(traces_sample_rate=0.5), ALWAYS_OFF],
    ids=["ratio", "traces_sampler", "always_off"],
)
def test_sampled_and_unsampled_spans_have_the_sdk_span_contexts(sampler: Any) -> None:
    sdk_spans, sdk_contexts = run(TracerProvider, many_roots, sampler=sampler)
    lean_spans, lean_contexts = run(LeanTracerProvider, many_roots, sampler=sampler)
    assert lean_contexts == sdk_contexts  # propagated headers would be the same
    assert len(lean_spans) == len(sdk_spans)
    if sampler is not ALWAYS_OFF:
        assert 0 < len(lean_spans) < 120


def test_unsampled_children_are_unsampled_spans_under_a_parent_deciding_sampler() -> None:
    spans, kinds = run(
        LeanTracerProvider,
        lambda tracer: _kinds(tracer),
        sampler=TracesSampler(traces_sample_rate=0.0),
    )
    assert spans == []
    assert kinds == [UnsampledSpan, UnsampledSpan]


def _kinds(tracer: trace.Tracer) -> list[type]:
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("child") as child:
            return [type(root), type(child)]


LIMITED = SpanLimits(
    max_span_attributes=3,
    max_events=2,
    max_links=1,
    max_event_attributes=1,
    max_link_attributes=1,
    max_span_attribute_length=4,
    max_attribute_length=3,
)


def crowded(tracer: trace.Tracer) -> None:
    links = [Link(REMOTE, {"a": 1, "b": 2}), Link(REMOTE, {"c": "long value"})]
    with tracer.start_as_current_span(
        "crowded", attributes={"1": "long value", "2": 2, "3": 3, "4": 4}, links=links
    ) as span:
        span.set_attribute("5", "another long one")
        span.set_attribute("2", ["long", "longer"])
        span.set_attributes({"6": 6, "7": {"nested": "long value"}})
        for index in range(4):
            span.add_event(f"event {index}", {"x": "long value", "y": index})
        span.add_link(REMOTE, {"d": 1})
        with tracer.start_as_current_span("child", attributes={"only": 1}):
            pass


def test_span_limits_cut_and_count_as_the_sdk_does() -> None:
    sdk, lean = both(crowded, limits=LIMITED)
    assert lean == sdk
    (span,) = [
        s for s in lean["resourceSpans"][0]["scopeSpans"][0]["spans"] if s["name"] == "crowded"
    ]
    assert span["droppedAttributesCount"] > 0 and span["droppedEventsCount"] == 2


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2")
    monkeypatch.setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3")
    monkeypatch.setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "1")
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "0")
    sdk, lean = both(crowded)
    assert lean == sdk
    spans = lean["resourceSpans"][0]["scopeSpans"][0]["spans"]
    crowded_span = next(s for s in spans if s["name"] == "crowded")
    assert len(crowded_span["attributes"]) == 2
    assert all(len(a["value"].get("stringValue", "")) <= 3 for a in crowded_span["attributes"])


def decorated(tracer: trace.Tracer) -> list[int]:
    @tracer.start_as_current_span("sync")
    def work(value: int) -> int:
        return value * 2

    @tracer.start_as_current_span("async", kind=SpanKind.CONSUMER)
    async def task(value: int) -> int:
        await asyncio.sleep(0)
        return value + 1

    async def main() -> list[int]:
        return list(await asyncio.gather(task(1), task(2)))

    return [work(1), work(2), *asyncio.run(main())]


def test_start_as_current_span_decorates_functions_and_coroutines() -> None:
    sdk_spans, sdk_values = run(TracerProvider, decorated)
    lean_spans, lean_values = run(LeanTracerProvider, decorated)
    assert lean_values == sdk_values == [2, 4, 2, 3]
    assert [s.name for s in lean_spans] == [s.name for s in sdk_spans]
    assert [s.kind for s in lean_spans] == [s.kind for s in sdk_spans]


def test_a_finished_lean_span_reads_as_a_readable_span() -> None:
    spans, _ = run(LeanTracerProvider, nested_work)
    root = next(span for span in spans if span.name == "root")
    assert isinstance(root, RecordingSpan)
    copy = root.readable()
    assert dict(copy.attributes or {}) == dict(root.attributes or {})
    assert copy.dropped_attributes == root.dropped_attributes > 0
    child = next(span for span in spans if span.name == "renamed")
    assert isinstance(child, RecordingSpan)
    assert child.readable().to_json() == child.to_json()
    assert '"status_code": "OK"' in child.to_json()
    assert root.instrumentation_scope is not None
    assert root.instrumentation_scope.name == "parity.test"
    assert [e.name for e in root.events] == ["started", "at"]


def test_current_span_restores_the_context_it_replaced() -> None:
    spans, outcome = run(LeanTracerProvider, _restores)
    assert outcome == (True, True)
    assert len(spans) == 2


def _restores(tracer: trace.Tracer) -> tuple[bool, bool]:
    before = context.get_current()
    with tracer.start_as_current_span("a") as a:
        inside = trace.get_current_span() is a
        with tracer.start_as_current_span("b"):
            pass
        inside = inside and trace.get_current_span() is a
    return inside, context.get_current() is before
