"""Profiling as the options ask for it: the active profiler, its lifecycle, the API.

* ``profile_session_sample_rate`` decides once per ``init()`` whether this process
  profiles; ``profile_lifecycle`` then says when: ``manual`` between ``start_profiler()``
  and ``stop_profiler()``, ``trace`` while a sampled root span is open.
* Without it, ``profiles_sample_rate`` / ``profiles_sampler`` (sentry_sdk's transaction
  profiling) mean the ``trace`` lifecycle in which each sampled root span is profiled
  with that chance; the data is sent as profile chunks, not as ``profile`` items.

Chunks go through the client's transport like any item (``profile_chunk``: its rate
limits and client reports). The profiler stops at shutdown, within ``shutdown_timeout``,
and when ``init()`` is called again.
"""

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import SpanProcessor
from scopetel_exporter_sentry.envelope import Envelope, Item

from scopetel._client import Client, json_item, now_iso
from scopetel._config.options import Options
from scopetel._fork_safety import ForkSafeLock
from scopetel._internal_errors import guarded
from scopetel._profiling.chunk import Chunk
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.links import ProfileLinks
from scopetel._profiling.profiler import Profiler
from scopetel._profiling.root_sampling import RootRate, RootSampler, always

LOGGER: Final = logging.getLogger("scopetel")
RECONFIGURE_TIMEOUT: Final = 2.0


@dataclass(frozen=True)
class Profiling:
    """The profiler of the active ``init()`` and how it is driven."""

    profiler: Profiler
    links: ProfileLinks
    lifecycle: str  # "manual" or "trace"
    shutdown_timeout: float


_lock = ForkSafeLock()
_active: Profiling | None = None


@dataclass(frozen=True)
class _Plan:
    lifecycle: str
    root_rate: RootRate


def _plan(options: Options) -> _Plan | None:
    """What the options ask for; None: no profiling in this process."""
    session_rate = options.profile_session_sample_rate
    if session_rate is not None:
        if not session_rate or random.random() >= session_rate:
            LOGGER.debug("scopetel: this process is not profiled (profile_session_sample_rate)")
            return None
        return _Plan(options.profile_lifecycle, always)
    if options.profiles_sample_rate or options.profiles_sampler is not None:
        return _Plan("trace", RootSampler(options.profiles_sample_rate, options.profiles_sampler))
    return None


def configure(client: Client) -> Sequence[SpanProcessor]:
    """Stop the previous profiler; make the one ``client`` asks for (not started); return
    the span processors to add (none when not profiling)."""
    global _active
    with _lock:
        previous, _active = _active, None
    if previous is not None:
        previous.profiler.stop(min(previous.shutdown_timeout, RECONFIGURE_TIMEOUT), final=True)
    plan = _plan(client.options) if client.sending else None
    if plan is None:
        return ()
    options = client.options
    profiler = Profiler(
        _sender(client),
        FrameRenderer(client.frame_options),
        frequency=options.profiler_frequency,
        on_demand=plan.lifecycle == "trace",
        mode=options.profiler_mode,
        detached=options.profiler_detached,
    )
    links = ProfileLinks(
        profiler,
        trace_lifecycle=plan.lifecycle == "trace",
        root_rate=plan.root_rate,
        every_span=options.trace_lifecycle == "stream",
    )
    with _lock:
        _active = Profiling(profiler, links, plan.lifecycle, options.shutdown_timeout)
    LOGGER.debug(
        "scopetel: profiling (%s lifecycle, %s threads, %d Hz)",
        plan.lifecycle,
        profiler.native.mode,
        options.profiler_frequency,
    )
    return (links,)


class _Send:
    """Sends a chunk as a ``profile_chunk`` envelope through ``client``."""

    def __init__(self, client: Client, metadata: dict[str, str]) -> None:
        self._client = client
        self._metadata = metadata

    def __call__(self, chunk: Chunk, profiler_id: str) -> None:
        try:  # the samples encoded in C
            item = Item.from_json("profile_chunk", chunk.payload(profiler_id, self._metadata))
        except Exception:  # a value JSON cannot carry (in a frame): made safe, from dicts
            payload = chunk.payload(profiler_id, self._metadata, encoded=False)
            item = json_item("profile_chunk", payload)
        # Relay reads the platform from the item header (it picks the rate-limit category)
        headers = {"platform": "python", **item.headers}
        self._client.send(Envelope({"sent_at": now_iso()}, [Item(headers, item.payload)]))


def _sender(client: Client) -> _Send:
    metadata = {
        key: str(value).strip()
        for key in ("release", "environment", "dist")
        if (value := getattr(client.options, key)) is not None
    }
    return _Send(client, metadata)


# -- the API (scopetel.profiler) -------------------------------------------------------------
@guarded(None)
def start_profiler() -> None:
    """Start profiling (``manual`` lifecycle, in a process whose session is sampled)."""
    active = _active
    if active is None:
        LOGGER.debug("scopetel: start_profiler(): profiling is not configured or not sampled")
    elif active.lifecycle != "manual":
        LOGGER.debug("scopetel: start_profiler() has no effect with profile_lifecycle='trace'")
    else:
        active.profiler.start()


@guarded(None)
def stop_profiler() -> None:
    """Stop profiling and send what was sampled (``manual`` lifecycle)."""
    active = _active
    if active is not None and active.lifecycle == "manual":
        active.profiler.stop(active.shutdown_timeout)


@guarded(None)
def update_active_thread(root: otel_trace.Span | None = None) -> None:
    """The local root span ``root`` (None: the current span, when it is one) now runs
    on this thread (a server's worker thread running a sync endpoint): while profiling,
    its thread tag names this thread (``ProfileLinks.move_root``)."""
    active = _active
    if active is not None and active.profiler.active_id is not None:
        active.links.move_root(otel_trace.get_current_span() if root is None else root)


def profiler_id() -> str | None:
    """The id of the profiler run spans started now would link to; None: not sampling."""
    active = _active
    return None if active is None else active.profiler.active_id


# -- hooks of scopetel._setup.init --------------------------------------------------------------
@guarded(None)
def flush() -> None:
    """Send the chunk being filled (``scopetel.flush()``)."""
    active = _active
    if active is not None:
        active.profiler.flush()


@guarded(None)
def shutdown(timeout: float) -> None:
    """Stop the profiler and send its last chunk, waiting at most ``timeout`` s."""
    global _active
    with _lock:
        active, _active = _active, None
    if active is not None:
        active.profiler.stop(timeout, final=True)
