"""Stack keys for scopetel's profiler, computed in C when the extension is built.

``stack_hash(frame, max_depth)`` equals ``hash(tuple(key))`` where ``key`` lists
``id(code), f_lasti`` for ``frame`` and each caller, innermost first, at most
``max_depth`` frames: the key the profiler's Python walk makes, without a Python loop
over ~30 frames per busy thread per sample. ``None`` when the extension was not built
(no compiler at install time, or not CPython): callers keep their Python walk.

``sample_threads(...)`` is one pass of the profiler over ``sys._current_frames()``'s
threads of this interpreter: each thread is keyed as ``stack_hash`` would key its
innermost frame, from CPython's own frame structures, so that no frame object is made
for a stack that is only keyed, and a thread whose name and stack the chunk knows gets
its sample appended to the chunk's columns without a Python loop (see the ``.pyi`` and
the C source). ``None`` where the extension was not built, and on CPython versions whose
private frame layout it does not know (it knows 3.11 to 3.13).

``DetachedSampler`` runs such passes *without the GIL* (Linux, 3.11 to 3.13): a thread
holding the GIL is not made to hand it over for each pass. It reads frames through
``process_vm_readv()`` on its own process, so that memory freed meanwhile fails a read
instead of faulting, and dereferences only the code objects it was taught; whatever it
does not know ends its ``run()`` for the caller to sample that tick with the GIL (see
the C source). ``None`` where it was not built; constructing it raises ``OSError``
where the system call is not allowed (a seccomp filter).

``encode_samples(...)`` writes a profile chunk's samples (its four columns) as the JSON
array Sentry reads, without making a dict per sample: about a quarter of the cost of
building and encoding tens of thousands of them. ``untrack_columns(*lists)`` takes such columns
(numbers, None and strings only) out of the cyclic garbage collector's care, so that a
full collection does not visit each of their entries; ``untrack_weak_tuples(tuples)`` does
the same for tuples of weak references made without a callback and strings (the
profiler's known codes).
"""

from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scopetel_stackwalk._stackwalk import DetachedSampler as _DetachedSampler

StackHash = Callable[[FrameType, int], int]
SampleThreads = Callable[
    [
        int,  # max_depth
        int,  # skip: a thread id
        dict[int, int],  # stacks: raw key -> stack index
        dict[int, str],  # names: thread id -> name
        float,  # timestamp
        dict[int, str],  # tasks: thread id -> asyncio task name
        list[float],  # the chunk's columns: timestamps,
        list[int],  # thread ids,
        list[int],  # stack indices,
        list[str | None],  # task names
    ],
    list[tuple[int, int]] | None,  # (thread id, raw key) of the threads not sampled
]

stack_hash: StackHash | None
sample_threads: SampleThreads | None
DetachedSampler: "type[_DetachedSampler] | None"
EncodeSamples = Callable[
    [list[float], list[int], list[int], list[str | None], dict[str, bytes]], bytes
]
encode_samples: EncodeSamples | None
untrack_columns: Callable[..., None] | None
untrack_weak_tuples: Callable[[list[Any]], None] | None
try:
    from scopetel_stackwalk._stackwalk import stack_hash
except ImportError:  # pragma: no cover - depends on the build
    stack_hash = None
try:
    from scopetel_stackwalk._stackwalk import sample_threads
except ImportError:  # not built, or built for a CPython whose frame layout it does not know
    sample_threads = None
try:
    from scopetel_stackwalk._stackwalk import DetachedSampler
except ImportError:  # not built, not Linux, or a CPython whose frame layout it does not know
    DetachedSampler = None

try:
    from scopetel_stackwalk._stackwalk import encode_samples, untrack_columns, untrack_weak_tuples
except ImportError:  # pragma: no cover - depends on the build
    encode_samples = untrack_columns = untrack_weak_tuples = None

__all__ = [
    "DetachedSampler",
    "EncodeSamples",
    "SampleThreads",
    "StackHash",
    "encode_samples",
    "sample_threads",
    "stack_hash",
    "untrack_columns",
    "untrack_weak_tuples",
]
