"""Each SDK set up for ``profiler_workload.py`` and ``profiler_busy_thread.py``: the
same options (every transaction sampled, continuous profiling at 101 Hz), a transport
that serializes every envelope and drops the bytes, and what it saw (``Sink``); for
scopetel, parts of its profiler switched off on request (``--without``) and the
``--pause`` mode (see ``profiler_workload.py``)."""

import threading
from collections.abc import Callable
from typing import Any


class Sink:
    """What the transport saw: envelopes, and profile chunks' sample timestamps (read
    after the phase, so that reading them is not counted)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.envelopes = 0
        self.pending: list[Callable[[], list[float]]] = []
        self.chunks = 0
        self.samples = 0

    def chunk(self, timestamps: Callable[[], list[float]]) -> None:
        with self.lock:
            self.pending.append(timestamps)

    def ticks(self) -> int:
        """Sampling passes (distinct timestamps) in the chunks received since last asked."""
        with self.lock:
            pending, self.pending = self.pending, []
        ticks: set[float] = set()
        for read in pending:
            timestamps = read()
            self.chunks += 1
            self.samples += len(timestamps)
            ticks.update(timestamps)
        return len(ticks)


def _timestamps(payload: dict[str, Any]) -> list[float]:
    return [sample["timestamp"] for sample in payload["profile"]["samples"]]


def setup_scopetel(sink: Sink, without: set[str], pause: bool = False) -> tuple[Any, Any, Any]:
    from scopetel_exporter_sentry.envelope import Envelope, serialize_envelope

    import scopetel
    from scopetel import profiler
    from scopetel._profiling import links, session

    class Transport:
        def capture_envelope(self, envelope: Envelope) -> None:
            serialize_envelope(envelope)
            with sink.lock:
                sink.envelopes += 1
            for item in envelope.items:
                if item.type == "profile_chunk":
                    sink.chunk(lambda item=item: _timestamps(item.json()))

    switch_off(without, sink)
    if pause:  # the phases resume and pause sampling, not the root spans
        links.ProfileLinks._root_started = lambda *args: None  # type: ignore[method-assign]
    scopetel.init(
        transport=Transport(),
        traces_sample_rate=1.0,
        profile_session_sample_rate=1.0,
        profile_lifecycle="trace" if pause else "manual",
        # passes without the GIL (the default, explicit: the benchmark's main row)
        profiler_detached=not without & {"detached", "threads", "native", "walk"},
        default_integrations=False,
    )
    if pause:
        running = session._active
        assert running is not None, "profiling did not start"
        return scopetel, running.profiler.acquire, running.profiler.release
    return scopetel, profiler.start_profiler, profiler.stop_profiler


def switch_off(without: set[str], sink: Sink) -> None:
    """Diagnostics: replace parts of scopetel's profiler with no-ops (``profiler_workload.py``'s
    ``--without``)."""
    from scopetel._profiling import links, profiler, sampler

    if without & {"detached", "threads", "native", "walk"}:  # passes with the GIL
        profiler.detached_passes = lambda *args: None  # type: ignore[assignment]
    if "links" in without:
        links.ProfileLinks._tag = lambda *args: None  # type: ignore[method-assign]
        links.ProfileLinks._link = lambda *args: None  # type: ignore[method-assign]
    if "tasks" in without:
        sampler.running_tasks = dict  # type: ignore[assignment]
    if "send" in without:

        def deliver(self: Any, chunk: Any, profiler_id: Any) -> None:
            if chunk is not None:
                sink.chunk(lambda: chunk.timestamps)

        profiler.Profiler._deliver = deliver  # type: ignore[method-assign]
    if "threads" in without or "native" in without:
        sampler.native_sample_threads = None  # type: ignore[assignment]
    if "native" in without:
        sampler.native_stack_hash = None  # type: ignore[assignment]
    if "walk" in without:

        def sample(self: Any, chunk: Any) -> None:
            chunk.timestamps.append(chunk.now())
            chunk.thread_ids.append(0)
            chunk.stack_ids.append(0)
            chunk.tasks.append(None)

        sampler.StackSampler.sample = sample  # type: ignore[method-assign]


def setup_sentry_sdk(sink: Sink, without: set[str], pause: bool = False) -> tuple[Any, Any, Any]:
    import sentry_sdk
    from sentry_sdk import profiler
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    class Serializing(Transport):
        def capture_envelope(self, envelope: Envelope) -> None:
            envelope.serialize()
            with sink.lock:
                sink.envelopes += 1
            for item in envelope.items:
                if item.type == "profile_chunk":
                    sink.chunk(lambda payload=item.payload.json: _timestamps(payload))

    sentry_sdk.init(
        transport=Serializing(),
        traces_sample_rate=1.0,
        profile_session_sample_rate=1.0,
        default_integrations=False,
    )
    return sentry_sdk, profiler.start_profiler, profiler.stop_profiler
