"""The span processor that links spans to profiles, and runs the trace lifecycle.

Added to the provider only when profiling is configured. While the profiler samples, a
sampled span started then is tagged with ``sentry.profiler_id`` and the thread it
started on (``thread.id``, ``thread.name``: OpenTelemetry's names): Sentry shows a span's
flame graph from the samples of that thread, in that profiler run, during the span; a
transaction's ``contexts.profile`` comes from its root's tag (``_pipeline``).

Tagging costs (the attributes, then their way into every transaction's JSON), so in a
transaction only what Sentry cannot take from its root is tagged: Relay gives each span
of a transaction the profiler id of ``contexts.profile``, and the root's thread when the
span's data names none. A local root is always tagged, with a link beside its
attributes (``_semconv.profile_link``: one tuple, where three attributes cost the
application thread a copy of the root's attributes and the emitter a pass over each);
a child only when it started on another thread than its root (its thread), or while the
root carried no profiler id (all three). For that the processor remembers, per open
span, its root's thread and profiler id. Streamed spans (``trace_lifecycle="stream"``)
have no transaction to take from: each is tagged in full, as attributes.

In the ``trace`` lifecycle, a sampled local root span (a new trace, or a remote parent)
chosen for profiling keeps the profiler sampling until it ends.
"""

import random
import threading
from typing import Final

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guarded
from scopetel._profiling.profiler import Profiler
from scopetel._profiling.root_sampling import RootRate, always
from scopetel._semconv.sentry_attributes import PROFILER_ID, THREAD_ID, THREAD_NAME
from scopetel._trace_sdk.span import RecordingSpan

MAX_OPEN_ROOTS: Final = 10_000
MAX_OPEN_SPANS: Final = 100_000  # spans whose root is remembered (oldest forgotten)
_MISSING: Final = object()

RootOf = tuple[int, str | None]
"""A root span's thread and the profiler id it was tagged with (None: not tagged)."""


class ProfileLinks(SpanProcessor):
    """See the module docstring."""

    def __init__(
        self,
        profiler: Profiler,
        *,
        trace_lifecycle: bool,
        root_rate: RootRate = always,
        every_span: bool = False,
    ) -> None:
        self._profiler = profiler
        self._trace_lifecycle = trace_lifecycle
        self._root_rate = root_rate
        self._every_span = every_span
        # The native thread id, as samples have it (under gevent, threading.get_ident
        # names a greenlet, and thread names are greenlets' too: left out).
        self._get_ident = profiler.native.get_ident
        self._thread_names = profiler.native.mode == "thread"
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._profiled: dict[int, None] = {}  # profiled roots still open, oldest first
        self._root_of: dict[int, RootOf] = {}  # open span id -> its root's links
        self._moved: dict[int, None] = {}  # open roots moved to another thread

    @guarded(None)
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        parent = span.parent
        is_root = parent is None or parent.is_remote
        if is_root and self._trace_lifecycle:
            self._root_started(span, parent_context)
        profiler_id = self._profiler.active_id
        if self._every_span:
            if profiler_id is not None:
                self._tag(span, profiler_id, self._get_ident())
            return
        thread_id = self._get_ident()
        if is_root or parent is None:
            root: RootOf = (thread_id, profiler_id)
            if profiler_id is not None:
                self._link(span, profiler_id, thread_id)
        else:
            root = self._root_of.get(parent.span_id, (0, None))
            if profiler_id is not None and profiler_id != root[1]:
                self._tag(span, profiler_id, thread_id)  # its root has none (or another)
            elif profiler_id is not None and thread_id != root[0]:
                self._tag(span, None, thread_id)
        spans = self._root_of
        spans[context.span_id] = root
        if len(spans) > MAX_OPEN_SPANS:  # spans that never end must not grow it
            spans.pop(next(iter(spans)), None)

    def _link(self, span: Span, profiler_id: str | None, thread_id: int) -> None:
        """Link a root: a tuple beside the attributes (another SDK's span: tagged)."""
        if isinstance(span, RecordingSpan):
            span.profile_link = (profiler_id, thread_id, self._thread_name())
        else:
            self._tag(span, profiler_id, thread_id)

    def _thread_name(self) -> str | None:
        return threading.current_thread().name if self._thread_names else None

    def _tag(self, span: Span, profiler_id: str | None, thread_id: int) -> None:
        # One call a key: about half of set_attributes({...}) (no dict, no mapping check).
        set_attribute = span.set_attribute
        set_attribute(THREAD_ID, thread_id)
        if profiler_id is not None:
            set_attribute(PROFILER_ID, profiler_id)
        if self._thread_names:
            set_attribute(THREAD_NAME, threading.current_thread().name)

    def move_root(self, span: object) -> None:
        """``span``, if an open local root tagged with its thread, now runs on this one
        (a sync endpoint in a server's worker thread): the tag names this thread, so
        Sentry shows this thread's samples under it (sentry-sdk's
        ``update_active_thread``). Any other span is left as it is. The first move
        wins: later work in other workers (FastAPI validating the response) does not
        take the root from the endpoint's thread."""
        link = span.profile_link if isinstance(span, RecordingSpan) else None
        attributes = getattr(span, "attributes", None)
        context = getattr(span, "context", None)
        parent = getattr(span, "parent", None)
        is_recording = getattr(span, "is_recording", None)
        if link is not None:
            tagged: object = link[1]
        elif attributes and THREAD_ID in attributes:
            tagged = attributes.get(THREAD_ID)
        else:
            return
        if context is None or (parent is not None and not parent.is_remote):
            return
        span_id = context.span_id
        if span_id in self._moved or is_recording is None or not is_recording():
            return
        thread_id = self._get_ident()
        if tagged == thread_id:
            return
        self._moved[span_id] = None
        while len(self._moved) > MAX_OPEN_ROOTS:  # roots that never end must not grow it
            self._moved.pop(next(iter(self._moved)), None)
        if isinstance(span, RecordingSpan) and link is not None:
            span.profile_link = (link[0], thread_id, self._thread_name())
        else:
            self._tag(span, None, thread_id)  # type: ignore[arg-type]
        root = self._root_of.get(span_id)
        if root is not None:  # children started from now on compare with this thread
            self._root_of[span_id] = (thread_id, root[1])

    def _root_started(self, span: Span, parent_context: Context | None) -> None:
        rate = self._root_rate(span, parent_context)
        if rate <= 0.0 or (rate < 1.0 and random.random() >= rate):
            return
        evicted = 0
        with self._lock:
            profiled = self._profiled
            profiled[span.context.span_id] = None
            while len(profiled) > MAX_OPEN_ROOTS:  # roots that never end must not pin it
                del profiled[next(iter(profiled))]
                evicted += 1
        self._profiler.acquire()
        for _ in range(evicted):
            self._profiler.release()

    @guarded(None)
    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        self._root_of.pop(context.span_id, None)
        if self._moved:
            self._moved.pop(context.span_id, None)
        if not self._profiled:
            return
        with self._lock:
            found = self._profiled.pop(context.span_id, _MISSING)
        if found is not _MISSING:
            self._profiler.release()

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
