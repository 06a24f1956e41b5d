"""Profiling options as sentry_sdk 2.x has them, and what each one turns on (or not)."""

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace as otel_trace

import scopetel
from scopetel._config.resolution import resolve
from scopetel._profiling import session
from scopetel._profiling.links import ProfileLinks
from scopetel._setup import provider
from scopetel.profiler import start_profile_session, start_profiler, stop_profiler
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.profiling.support import spin


@pytest.fixture(autouse=True)
def no_profiler_left() -> Iterator[None]:
    yield
    session.shutdown(2.0)


def _links_installed() -> bool:
    processor = provider.installed_processor()
    assert processor is not None
    return any(isinstance(p, ProfileLinks) for p in processor.delegates)


def _chunks(transport: CapturingTransport) -> list[dict[str, Any]]:
    return [item.json() for item in transport.items("profile_chunk")]


def test_variables_configure_profiling() -> None:
    options = resolve(
        {},
        {
            "SENTRY_PROFILE_SESSION_SAMPLE_RATE": "0.25",
            "SENTRY_PROFILE_LIFECYCLE": "trace",
            "SENTRY_PROFILES_SAMPLE_RATE": "1",
            "SENTRY_PROFILER_MODE": "thread",
            "SENTRY_PROFILER_FREQUENCY": "50",
            "SENTRY_PROFILER_DETACHED": "false",
        },
    )
    assert options.profile_session_sample_rate == 0.25
    assert options.profile_lifecycle == "trace"
    assert options.profiles_sample_rate == 1.0
    assert options.profiler_mode == "thread"
    assert options.profiler_frequency == 50
    assert options.profiler_detached is False


def test_bad_variables_fall_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scopetel"):
        options = resolve({}, {"SENTRY_PROFILE_LIFECYCLE": "always", "SENTRY_PROFILER_MODE": "x"})
    assert (options.profile_lifecycle, options.profiler_mode) == ("manual", None)
    assert "SENTRY_PROFILE_LIFECYCLE" in caplog.text and "SENTRY_PROFILER_MODE" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("profile_lifecycle", "always"),
        ("profile_session_sample_rate", 2),
        ("profiler_mode", "fork"),
        ("profiler_frequency", 0),
        ("profiler_detached", 2),
        ("profiles_sampler", 0.5),
    ],
)
def test_invalid_options_raise(name: str, value: object) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        scopetel.init(transport=CapturingTransport(), **{name: value})


def test_without_profiling_no_processor_and_no_thread_data() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        assert not _links_installed()
        start_profiler()  # not configured: nothing happens
        with scopetel.start_transaction(name="plain"):
            with scopetel.start_span(op="child"):
                pass
    (transaction,) = transport.transactions()
    assert "profile" not in transaction["contexts"]
    assert "thread.id" not in transaction["spans"][0].get("data", {})
    assert _chunks(transport) == []


def test_a_session_not_sampled_profiles_nothing() -> None:
    with capture_envelopes(traces_sample_rate=1.0, profile_session_sample_rate=0.0) as t:
        assert not _links_installed()
        start_profiler()
        with scopetel.start_transaction(name="unprofiled"):
            spin(0.1)
    assert "profile" not in t.transactions()[0]["contexts"]
    assert _chunks(t) == []


def test_profiles_sample_rate_means_the_trace_lifecycle() -> None:
    with capture_envelopes(traces_sample_rate=1.0, profiles_sample_rate=1.0) as transport:
        start_profiler()  # trace lifecycle: no effect
        assert session.profiler_id() is None
        with scopetel.start_transaction(name="profiled"):
            assert session.profiler_id() is not None
            spin(0.3)
        assert session.profiler_id() is None
    (transaction,) = transport.transactions()
    (chunk,) = _chunks(transport)
    assert transaction["contexts"]["profile"] == {"profiler_id": chunk["profiler_id"]}


def test_profiles_sampler_decides_per_root_span(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[dict[str, Any]] = []

    def profiles_sampler(context: dict[str, Any]) -> float:
        seen.append(context)
        name = context["transaction_context"]["name"]
        if name == "broken":
            raise RuntimeError("sampler bug")
        return 1.0 if name == "keep" else 0.0

    with caplog.at_level(logging.WARNING, logger="scopetel"):
        with capture_envelopes(
            traces_sample_rate=1.0, profiles_sampler=profiles_sampler
        ) as transport:
            for name in ("skip", "keep", "broken"):
                with scopetel.start_transaction(name=name, op="task"):
                    spin(0.1)
    by_name = {t["transaction"]: t["contexts"] for t in transport.transactions()}
    assert set(by_name) == {"skip", "keep", "broken"}  # every transaction is sent
    assert "profile" in by_name["keep"]
    assert "profile" not in by_name["skip"] and "profile" not in by_name["broken"]
    assert [c["transaction_context"]["op"] for c in seen] == ["task"] * 3
    assert "profiles_sampler raised" in caplog.text


def test_start_and_stop_are_manual_only_and_restartable() -> None:
    with capture_envelopes(profile_session_sample_rate=1.0) as transport:
        assert session.profiler_id() is None  # manual: not before start_profiler()
        start_profiler()
        first = session.profiler_id()
        spin(0.2)
        stop_profiler()
        assert session.profiler_id() is None
        with pytest.deprecated_call():
            start_profile_session()
        second = session.profiler_id()
        spin(0.2)
        stop_profiler()
    assert first and second and first != second
    assert [c["profiler_id"] for c in _chunks(transport)] == [first, second]


def test_spans_carry_links_only_while_sampling() -> None:
    with capture_envelopes(traces_sample_rate=1.0, profile_session_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="before"):
            pass
        start_profiler()
        with scopetel.start_transaction(name="during"):
            with scopetel.start_span(op="child"):
                pass
        stop_profiler()
    before, during = transport.transactions()
    assert "profile" not in before["contexts"]
    assert "thread.id" not in before["contexts"]["trace"].get("data", {})
    data = during["contexts"]["trace"]["data"]
    assert data["profiler_id"] == during["contexts"]["profile"]["profiler_id"]
    assert data["thread.id"] == str(threading.get_ident())


def test_a_root_of_another_span_class_is_linked_and_so_are_its_events() -> None:
    """A root started with ``record_exception=False`` (as aiohttp's server spans are) is
    a subclass of the lean span; an event captured under a root carries its link."""
    tracer = otel_trace.get_tracer("profiling-tests")
    with capture_envelopes(traces_sample_rate=1.0, profile_session_sample_rate=1.0) as transport:
        start_profiler()
        with tracer.start_as_current_span(
            "GET /", record_exception=False, set_status_on_exception=False
        ):
            scopetel.capture_message("under the root")
        stop_profiler()
    (transaction,) = transport.transactions()
    profiler_id = transaction["contexts"]["profile"]["profiler_id"]
    data = transaction["contexts"]["trace"]["data"]
    assert (data["profiler_id"], data["thread.id"]) == (profiler_id, str(threading.get_ident()))
    (event,) = transport.events()
    event_data = event["contexts"]["trace"]["data"]
    assert event_data["sentry.profiler_id"] == profiler_id
    assert str(event_data["thread.id"]) == str(threading.get_ident())


def test_a_profiler_started_inside_a_transaction_links_its_later_spans() -> None:
    with capture_envelopes(traces_sample_rate=1.0, profile_session_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="started late"):
            start_profiler()
            with scopetel.start_span(op="child"):
                spin(0.1)
        stop_profiler()
    (transaction,) = transport.transactions()
    assert "profile" not in transaction["contexts"]  # the root began before the profiler
    data = transaction["spans"][0]["data"]
    assert data["profiler_id"] == _chunks(transport)[0]["profiler_id"]
    assert data["thread.id"] == str(threading.get_ident())


def test_streamed_spans_carry_sentry_profiler_id_and_thread() -> None:
    with capture_envelopes(
        traces_sample_rate=1.0, trace_lifecycle="stream", profiles_sample_rate=1.0
    ) as transport:
        with scopetel.start_transaction(name="streamed"):
            with scopetel.start_span(op="child"):
                spin(0.1)
        scopetel.flush()
    spans = [entry for item in transport.items("span") for entry in item.json()["items"]]
    assert len(spans) == 2
    (chunk,) = _chunks(transport)
    for span in spans:
        attributes = span["attributes"]
        assert attributes["sentry.profiler_id"] == {
            "value": chunk["profiler_id"],
            "type": "string",
        }
        assert attributes["thread.id"] == {"value": str(threading.get_ident()), "type": "string"}
        assert attributes["thread.name"]["value"] == threading.current_thread().name
