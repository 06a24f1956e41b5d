"""A stack's raw key for scopetel's profiler, computed in C when the extension is built.

``stack_hash(frame, max_depth)`` equals ``hash(tuple(key))`` where ``key`` lists
``id(code), f_lasti`` for ``frame`` and each caller, innermost first, at most
``max_depth`` frames: the key the profiler's Python walk makes, without a Python loop
over ~30 frames per busy thread per sample. ``None`` when the extension was not built
(no compiler at install time, or not CPython): callers keep their Python walk.
"""

from collections.abc import Callable
from types import FrameType

StackHash = Callable[[FrameType, int], int]

stack_hash: StackHash | None
try:
    from scopetel_stackwalk._stackwalk import stack_hash
except ImportError:  # pragma: no cover - depends on the build
    stack_hash = None

__all__ = ["StackHash", "stack_hash"]
