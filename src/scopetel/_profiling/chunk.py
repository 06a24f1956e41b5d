"""A profile chunk being filled, and its JSON: Sentry's continuous-profiling format v2.

Frames and stacks are deduplicated: a sample names a stack by index, a stack lists frame
indices innermost first, as sentry-sdk sends them. A stack is keyed by the ``id`` of each
frame's code object and its line; the chunk keeps those code objects, so the ids stay
unique while it lives. Memory is bounded: a chunk reports ``full`` at a fixed number of
samples, stacks or frames, and the profiler then sends it early.

Beyond sentry-sdk, a sample taken on a thread that was running an asyncio task carries
``task_name``. Relay reads chunks into fixed structures (``sample::v2`` in
relay-profiling: ``timestamp``, ``stack_id``, ``thread_id``) without refusing unknown
fields, so the chunk is accepted and the field is left out of what Sentry stores; it is
there for anything that reads the chunks themselves (``scopetel serve``'s JSON lines).
"""

import time
import uuid
from types import CodeType, FrameType
from typing import Any, Final

from scopetel._profiling.frames import Frame, FrameRenderer
from scopetel._version import SDK_NAME, VERSION

MAX_SAMPLES: Final = 60_000  # about 10 threads for a minute at 101 Hz
MAX_STACKS: Final = 20_000
MAX_FRAMES: Final = 20_000

StackKey = tuple[object, ...]
"""``(id(code), line, id(code), line, ...)``, innermost frame first."""
Sample = tuple[float, int, int, str | None]
"""``(timestamp, thread id, stack index, task name)``."""


class Chunk:
    """Samples of up to a minute; filled by the sampler thread under the profiler's lock."""

    __slots__ = (
        "_codes",
        "_frame_index",
        "_perf",
        "_stack_index",
        "_wall",
        "chunk_id",
        "frames",
        "samples",
        "stacks",
        "started",
        "thread_names",
    )

    def __init__(self) -> None:
        self.chunk_id = uuid.uuid4().hex
        self.frames: list[Frame] = []
        self.stacks: list[list[int]] = []
        self.samples: list[Sample] = []
        self.thread_names: dict[int, str] = {}  # "" for a thread without a name
        self._frame_index: dict[tuple[int, object], int] = {}
        self._stack_index: dict[StackKey, int] = {}
        self._codes: list[CodeType] = []
        # Sample times are the wall clock at the start plus a monotonic offset: ordered,
        # and on the same clock as span timestamps (drift is bounded by a chunk's length).
        self._wall = time.time()
        self._perf = self.started = time.perf_counter()

    def now(self) -> float:
        """The timestamp of a sample taken now (seconds since the epoch)."""
        return self._wall + (time.perf_counter() - self._perf)

    @property
    def full(self) -> bool:
        return (
            len(self.samples) >= MAX_SAMPLES
            or len(self.stacks) >= MAX_STACKS
            or len(self.frames) >= MAX_FRAMES
        )

    def stack_index(self, key: StackKey) -> int | None:
        return self._stack_index.get(key)

    def add_stack(self, key: StackKey, chain: list[FrameType], renderer: FrameRenderer) -> int:
        """Index a new stack: ``chain`` holds the frames ``key`` was made of."""
        frame_index = self._frame_index
        indices: list[int] = []
        for position, frame in enumerate(chain):
            code, lineno = frame.f_code, key[2 * position + 1]
            frame_key = (id(code), lineno)
            index = frame_index.get(frame_key)
            if index is None:
                index = frame_index[frame_key] = len(self.frames)
                line = lineno if isinstance(lineno, int) else 0
                self.frames.append(renderer.render(code, line, frame.f_globals.get("__name__")))
                self._codes.append(code)
            indices.append(index)
        index = self._stack_index[key] = len(self.stacks)
        self.stacks.append(indices)
        return index

    def worth_sending(self) -> bool:
        """Relay drops a thread with a single sample, and a chunk left with none."""
        seen: set[int] = set()
        for _, thread_id, _, _ in self.samples:
            if thread_id in seen:
                return True
            seen.add(thread_id)
        return False

    def payload(self, profiler_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        """The chunk's JSON; ``metadata``: ``release``, ``environment``, ``dist`` when set."""
        samples: list[dict[str, Any]] = []
        threads: set[int] = set()
        for timestamp, thread_id, stack, task in self.samples:
            sample: dict[str, Any] = {
                "timestamp": timestamp,
                "thread_id": str(thread_id),
                "stack_id": stack,
            }
            if task is not None:
                sample["task_name"] = task
            samples.append(sample)
            threads.add(thread_id)
        thread_metadata = {
            str(thread_id): {"name": self.thread_names[thread_id]}
            for thread_id in sorted(threads)
            if self.thread_names.get(thread_id)
        }
        return {
            "chunk_id": self.chunk_id,
            "client_sdk": {"name": SDK_NAME, "version": VERSION},
            "platform": "python",
            "profile": {
                "frames": self.frames,
                "stacks": self.stacks,
                "samples": samples,
                "thread_metadata": thread_metadata,
            },
            "profiler_id": profiler_id,
            "version": "2",
            **metadata,
        }
