"""Work that finalizers trigger during a garbage collection sets no context variable.

On CPython before 3.12 a collection that runs inside ``ContextVar.set`` (it allocates)
can run a finalizer that sets a variable in the same Context and frees the mapping the
outer set is still walking: a segfault in ``hamt_node_bitmap_clone`` (python/cpython
#148891, seen under uvicorn when a client went away mid-stream). Finalizers reach
scopetel: a ``__del__`` that logs an error, a span ended by an abandoned object. Here
every OpenTelemetry ``attach`` made while a collection runs is counted, and must be 0,
while what the finalizers produced still reaches the transport.
"""

import contextvars
import gc
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.context import _RUNTIME_CONTEXT

import scopetel
from scopetel import _gc_phases
from scopetel.testing import CapturingTransport

LOG = logging.getLogger("tests.gc_finalizers")


@pytest.fixture
def attaches_during_collection(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of what attached a Context while a garbage collection was running."""
    seen: list[str] = []
    real_attach = _RUNTIME_CONTEXT.attach

    def attach(context: Any) -> Any:
        if _gc_phases.collecting():
            seen.append("attach")
        return real_attach(context)

    monkeypatch.setattr(_RUNTIME_CONTEXT, "attach", attach)
    yield seen


class LogsWhenCollected:
    def __init__(self) -> None:
        self.cycle = self  # only the cycle collector frees it

    def __del__(self) -> None:
        LOG.error("finalized with %s", "an error")


class EndsSpanWhenCollected:
    def __init__(self) -> None:
        self.cycle = self
        self.span = scopetel.start_transaction(name="abandoned")
        self.span.__enter__()

    def __del__(self) -> None:
        self.span.finish()


def test_a_log_record_written_by_a_finalizer(attaches_during_collection: list[str]) -> None:
    transport = CapturingTransport()
    scopetel.init(dsn="http://k@127.0.0.1:9/1", transport=transport)
    with scopetel.isolation_scope():
        LogsWhenCollected()
        gc.collect()
    scopetel.flush()
    assert attaches_during_collection == []
    messages = [e.get("logentry", {}).get("message") for e in transport.events()]
    assert "finalized with %s" in messages


def test_a_span_ended_by_a_finalizer(attaches_during_collection: list[str]) -> None:
    transport = CapturingTransport()
    scopetel.init(dsn="http://k@127.0.0.1:9/1", transport=transport, traces_sample_rate=1.0)
    # entered and never exited, as an abandoned object does: in a copy of the Context,
    # so the span is not left current for the tests that follow
    contextvars.copy_context().run(EndsSpanWhenCollected)
    gc.collect()
    assert scopetel.flush(timeout=5)
    assert attaches_during_collection == []
    assert [t["transaction"] for t in transport.transactions()] == ["abandoned"]


def test_a_collection_in_one_thread_defers_nothing_in_another() -> None:
    """The gc callbacks are Python code: the collecting thread can hand the GIL over in
    one (here: it waits for another thread). That other thread is not collecting; its
    work (a span ending, a chunk sent) must not be deferred."""
    seen: dict[str, bool] = {}

    def look_elsewhere(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not seen:
            seen["collecting thread"] = _gc_phases.collecting()
            other = threading.Thread(
                target=lambda: seen.setdefault("other thread", _gc_phases.collecting())
            )
            other.start()
            other.join()  # lets the GIL go while the collection is under way

    gc.callbacks.append(look_elsewhere)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(look_elsewhere)
    assert seen == {"collecting thread": True, "other thread": False}
    assert not _gc_phases.collecting()


def test_flush_waits_for_work_deferred_during_a_collection() -> None:
    transport = CapturingTransport()
    scopetel.init(dsn="http://k@127.0.0.1:9/1", transport=transport)

    def late() -> None:
        time.sleep(0.3)
        scopetel.capture_message("delivered by the helper thread")

    _gc_phases.defer(late)
    assert scopetel.flush(timeout=5)
    messages = [
        e.get("message") or e.get("logentry", {}).get("message") for e in transport.events()
    ]
    assert messages == ["delivered by the helper thread"]
