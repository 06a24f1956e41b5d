"""Transactions are built off the thread that ends them; flush() drains; bounded; forks."""

import os
import threading

import pytest

import scopetel
from scopetel._internal_errors import raise_internal_errors
from scopetel._pipeline.emitter import Emitter
from scopetel.testing import capture_envelopes


def test_a_transaction_is_built_off_the_thread_that_ended_it_and_flush_sends_it() -> None:
    built_in: list[str] = []

    def before_send_transaction(event: dict[str, object], hint: object) -> dict[str, object]:
        built_in.append(threading.current_thread().name)
        return event

    with capture_envelopes(
        traces_sample_rate=1.0, before_send_transaction=before_send_transaction
    ) as transport:
        with scopetel.start_transaction(name="checkout", op="http.server"):
            with scopetel.start_span(op="db", name="select"):
                pass
        assert scopetel.flush(timeout=5.0)
        assert built_in == ["scopetel-emitter"]
        [transaction] = transport.transactions()
        assert transaction["transaction"] == "checkout"
        assert [span["description"] for span in transaction["spans"]] == ["select"]


def test_a_transaction_has_its_scopes_as_they_were_when_it_ended() -> None:
    release = threading.Event()

    def before_send_transaction(event: dict[str, object], hint: object) -> dict[str, object]:
        release.wait(5)  # built only after the application went on
        return event

    with capture_envelopes(
        traces_sample_rate=1.0, before_send_transaction=before_send_transaction
    ) as transport:
        with scopetel.isolation_scope():
            scopetel.set_tag("stage", "during")
            with scopetel.start_transaction(name="first"):
                pass
            scopetel.set_tag("stage", "after")  # the next request's business
            scopetel.set_tag("later", "yes")
            release.set()
        assert scopetel.flush(timeout=5.0)
        [transaction] = transport.transactions()
        assert transaction["tags"] == {"stage": "during"}


def test_a_full_queue_makes_the_producer_emit_itself_and_nothing_is_lost() -> None:
    release = threading.Event()
    emitted: list[tuple[int, str]] = []
    dropped: list[int] = []

    def sink(item: int) -> None:
        if item == 0:
            release.wait(10)  # the emitter thread is busy: the queue fills up
        emitted.append((item, threading.current_thread().name))

    emitter: Emitter[int] = Emitter(sink, dropped.append, max_queued=2)
    for item in range(5):
        emitter.put(item)
    release.set()
    assert emitter.close(5.0)
    assert sorted(item for item, _ in emitted) == [0, 1, 2, 3, 4]
    assert dropped == []
    producer = threading.current_thread().name
    assert [name for _, name in emitted].count(producer) >= 2  # what did not fit


def test_close_counts_what_it_could_not_emit_in_time() -> None:
    release = threading.Event()
    dropped: list[int] = []
    emitter: Emitter[int] = Emitter(lambda item: release.wait(10), dropped.append)
    for item in range(3):
        emitter.put(item)
    assert not emitter.close(0.2)  # item 0 is stuck in the sink
    release.set()
    assert dropped == [1, 2]


def test_a_failing_sink_does_not_stop_the_emitter() -> None:
    emitted: list[int] = []

    def sink(item: int) -> None:
        if item == 1:
            raise RuntimeError("hook failed")
        emitted.append(item)

    emitter: Emitter[int] = Emitter(sink, lambda item: None)
    raise_internal_errors(False)
    try:
        for item in range(3):
            emitter.put(item)
        assert emitter.flush(5.0)
    finally:
        raise_internal_errors(True)
    assert emitted == [0, 2]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_empty_and_emits_its_own() -> None:
    release = threading.Event()
    read, write = os.pipe()

    def sink(item: str) -> None:
        if item == "parent-busy":
            release.wait(10)
        os.write(write, f"{os.getpid()}:{item}\n".encode())

    emitter: Emitter[str] = Emitter(sink, lambda item: None)
    emitter.put("parent-busy")  # the parent's emitter thread is busy with it
    emitter.put("parent-queued")
    pid = os.fork()
    if pid == 0:  # the child
        try:
            emitter.put("child")
            os._exit(0 if emitter.close(5.0) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    release.set()
    assert emitter.close(5.0)
    os.close(write)
    with os.fdopen(read) as lines:
        written = lines.read().split()
    assert os.waitstatus_to_exitcode(status) == 0
    parent = os.getpid()
    assert sorted(written) == sorted(
        [f"{pid}:child", f"{parent}:parent-busy", f"{parent}:parent-queued"]
    )
