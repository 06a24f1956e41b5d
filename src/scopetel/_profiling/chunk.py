"""A profile chunk being filled, and its JSON: Sentry's continuous-profiling format v2.

Frames and stacks are deduplicated: a sample names a stack by index, a stack lists frame
indices innermost first, as sentry-sdk sends them; a frame is a code object at a line.
The sampler finds a stack by a cheap *raw* key, the ``id`` of each frame's code object
and its instruction offset (hashed, as sentry-sdk does with its frame ids); a raw key
seen for the first time is resolved to lines once, and raw keys that differ only in
instructions of the same lines share one stack. The chunk keeps the code objects of its
frames, so an ``id`` in a key cannot be reused while the chunk lives. Memory is bounded:
a chunk reports ``full`` at a fixed number of samples, keys, stacks or frames, and the
profiler then sends it early.

Beyond sentry-sdk, a sample taken on a thread that was running an asyncio task carries
``task_name``. Relay reads chunks into fixed structures (``sample::v2`` in
relay-profiling: ``timestamp``, ``stack_id``, ``thread_id``) without refusing unknown
fields, so the chunk is accepted and the field is left out of what Sentry stores; it is
there for anything that reads the chunks themselves (``scopetel serve``'s JSON lines).
"""

import threading
import time
from types import CodeType, FrameType
from typing import Any, Final

from scopetel._profiling.frames import Frame, FrameRenderer
from scopetel._random_ids import uuid4_hex
from scopetel._version import SDK_NAME, VERSION

try:
    from scopetel_stackwalk import encode_samples, untrack_columns
except ImportError:  # not installed (``--no-deps``), or an older one: a dict a sample
    encode_samples = untrack_columns = None
orjson: Any
try:  # its Fragment: JSON already encoded inside a document (the samples, in C)
    import orjson
except ImportError:  # (a dependency on CPython, where the envelope encodes with it too)
    orjson = None

MAX_SAMPLES: Final = 60_000  # about 10 threads for a minute at 101 Hz
MAX_KEYS: Final = 50_000
MAX_STACKS: Final = 10_000
MAX_FRAMES: Final = 10_000

RawKey = int
"""The hash of ``(id(code), f_lasti, id(code), f_lasti, ...)``, innermost frame first."""


class Chunk:
    """Samples of up to a minute; filled by the sampler thread under the profiler's lock."""

    __slots__ = (
        "_frame_index",
        "_instruction_index",
        "_perf",
        "_stack_index",
        "_wall",
        "chunk_id",
        "codes",
        "frames",
        "raw_stacks",
        "stack_ids",
        "stacks",
        "started",
        "tasks",
        "thread_ids",
        "thread_names",
        "timestamps",
    )

    def __init__(self) -> None:
        self.chunk_id = uuid4_hex()
        self.frames: list[Frame] = []
        self.stacks: list[list[int]] = []
        # the samples, as parallel lists (no object per sample)
        self.timestamps: list[float] = []
        self.thread_ids: list[int] = []
        self.stack_ids: list[int] = []
        self.tasks: list[str | None] = []
        if untrack_columns is not None:  # numbers and strings only: no full collection visits
            untrack_columns(self.timestamps, self.thread_ids, self.stack_ids, self.tasks)
        self.thread_names: dict[int, str] = {}  # "": no name (or it ended before one was read)
        self._frame_index: dict[tuple[int, int], int] = {}  # (id(code), line) -> index
        self._instruction_index: dict[tuple[int, int], int] = {}  # (id(code), f_lasti) -> ...
        self._stack_index: dict[tuple[int, ...], int] = {}  # frame indices -> index
        self.raw_stacks: dict[RawKey, int] = {}  # raw key -> stack index
        self.codes: dict[int, tuple[CodeType, str | None]] = {}  # id -> code, its module
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
            len(self.timestamps) >= MAX_SAMPLES
            or len(self.raw_stacks) >= MAX_KEYS
            or len(self._instruction_index) >= MAX_KEYS
            or len(self.stacks) >= MAX_STACKS
            or len(self.frames) >= MAX_FRAMES
        )

    def resolve(
        self, top: FrameType, renderer: FrameRenderer, raw: RawKey, max_depth: int
    ) -> int | None:
        """The index of the stack under ``top`` (at most ``max_depth`` frames), which the
        sampler saw as the raw key ``raw``; None when it is not that stack any more (the
        thread ran since ``raw`` was taken).

        One walk makes both the raw key (checked against ``raw``) and the frame indices;
        a frame's line is looked up by code and instruction first, so only instructions
        not met before in this chunk pay for ``f_lineno`` (a line-table scan).
        """
        frame_index, at_instruction = self._frame_index, self._instruction_index
        lanes: list[int] = []
        indices: list[int] = []
        add_lane, add_index = lanes.append, indices.append
        frame: FrameType | None = top
        for _ in range(max_depth):
            if frame is None:
                break
            code = frame.f_code
            code_id, lasti = id(code), frame.f_lasti
            add_lane(code_id)
            add_lane(lasti)
            index = at_instruction.get((code_id, lasti))
            if index is None:
                lineno = frame.f_lineno
                line = lineno if isinstance(lineno, int) else 0
                index = frame_index.get((code_id, line))
                if index is None:
                    index = frame_index[(code_id, line)] = len(self.frames)
                    module = frame.f_globals.get("__name__")
                    self.frames.append(renderer.render(code, line, module))
                    # the chunk keeps the code: its id stays its own while the chunk lives
                    self.codes.setdefault(code_id, (code, module))
                at_instruction[(code_id, lasti)] = index
            add_index(index)
            frame = frame.f_back
        if hash(tuple(lanes)) != raw:
            return None
        return self._add_stack(raw, indices)

    def resolve_lanes(
        self,
        raw: RawKey,
        lanes: tuple[int, ...],
        renderer: FrameRenderer,
        codes: dict[int, tuple[CodeType, str | None]],
    ) -> int | None:
        """The index of the stack whose raw key ``raw`` has the lanes ``lanes`` (``id(code),
        f_lasti, ...``, as read without the GIL), resolved without a frame from ``codes``
        (``id`` -> code, module; codes kept alive by the caller, and by the chunk once
        used); None when a lane names a code not there, or the lanes do not hash to
        ``raw``."""
        index = self.raw_stacks.get(raw)
        if index is not None:
            return index
        if hash(lanes) != raw:
            return None
        frame_index, at_instruction = self._frame_index, self._instruction_index
        indices: list[int] = []
        for at in range(0, len(lanes) - 1, 2):
            code_id, lasti = lanes[at], lanes[at + 1]
            index = at_instruction.get((code_id, lasti))
            if index is None:
                held = codes.get(code_id)
                if held is None:
                    return None
                code, module = held
                line = line_at(code, lasti)
                index = frame_index.get((code_id, line))
                if index is None:
                    index = frame_index[(code_id, line)] = len(self.frames)
                    self.frames.append(renderer.render(code, line, module))
                    self.codes.setdefault(code_id, held)
                at_instruction[(code_id, lasti)] = index
            indices.append(index)
        return self._add_stack(raw, indices)

    def _encoded_samples(self) -> Any:
        """The samples as an orjson ``Fragment`` of JSON text; None without the means."""
        if orjson is None or encode_samples is None:
            return None
        names = {task for task in set(self.tasks) if task is not None}
        task_json = {  # (a lone surrogate, which UTF-8 cannot carry, written as its escape)
            task: orjson.dumps(task.encode("utf-8", "backslashreplace").decode("utf-8"))
            for task in names
        }
        text = encode_samples(
            self.timestamps, self.thread_ids, self.stack_ids, self.tasks, task_json
        )
        return orjson.Fragment(text)

    def _sample_dicts(self, threads: set[int]) -> list[dict[str, Any]]:
        ids = {thread_id: str(thread_id) for thread_id in threads}  # one string per thread
        every = zip(self.timestamps, self.thread_ids, self.stack_ids, strict=True)
        samples: list[dict[str, Any]] = [
            {"timestamp": timestamp, "thread_id": ids[thread_id], "stack_id": stack}
            for timestamp, thread_id, stack in every
        ]
        if self.tasks.count(None) != len(self.tasks):  # some thread ran an asyncio task
            for sample, task in zip(samples, self.tasks, strict=True):
                if task is not None:
                    sample["task_name"] = task
        return samples

    def _add_stack(self, raw: RawKey, indices: list[int]) -> int:
        stack = tuple(indices)
        index = self._stack_index.get(stack)
        if index is None:
            index = self._stack_index[stack] = len(self.stacks)
            self.stacks.append(indices)
        self.raw_stacks[raw] = index
        return index

    def passes_left(self, interval: float, seconds: float) -> int:
        """How many more passes, ``interval`` s apart, before the chunk is full of samples
        (at one per thread it names, or alive) or ``seconds`` old; at least 1. (An
        estimate: threads started without ``threading`` are sampled but not counted
        before they are named; ``room`` bounds a run of passes in samples.)"""
        threads = max(len(self.thread_names), threading.active_count())
        by_room = self.room // threads
        age = time.perf_counter() - self.started
        return max(1, min(by_room, int((seconds - age) / interval) + 1))

    @property
    def room(self) -> int:
        """Samples the chunk takes before it is full (at least 1)."""
        return max(1, MAX_SAMPLES - len(self.timestamps))

    @property
    def clock_offset(self) -> float:
        """What turns a ``time.perf_counter()`` reading into a sample's timestamp."""
        return self._wall - self._perf

    def worth_sending(self) -> bool:
        """Relay drops a thread with a single sample, and a chunk left with none."""
        seen: set[int] = set()
        for thread_id in self.thread_ids:
            if thread_id in seen:
                return True
            seen.add(thread_id)
        return False

    def payload(
        self, profiler_id: str, metadata: dict[str, str], *, encoded: bool = True
    ) -> dict[str, Any]:
        """The chunk's JSON; ``metadata``: ``release``, ``environment``, ``dist`` when set.
        ``encoded``: the samples as JSON text already (orjson's ``Fragment``, when orjson
        and the C encoder are there), else as a dict apiece."""
        threads = set(self.thread_ids)
        samples = self._encoded_samples() if encoded else None
        if samples is None:
            samples = self._sample_dicts(threads)
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


def line_at(code: CodeType, lasti: int) -> int:
    """The line of the instruction at byte offset ``lasti`` (a frame's ``f_lineno``
    there: the first line before the first instruction, 0 where none is recorded)."""
    if lasti < 0:
        return code.co_firstlineno
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return line if line is not None else 0
    return 0
