"""The code objects searches found in this process, held weakly, for the next sampler.

A search of every reachable function (``code_search``) costs ~50 ms of CPU in a small
service and seconds in a large process; its result outlives the ``DetachedPasses`` that
asked for it, so that a profiler made again (a new ``init()``, a forked worker of a
pre-fork server, which inherits this memory) starts knowing the process's code instead
of searching for it again. Codes are held weakly (code objects take weak references):
this memory keeps none alive; one that died is skipped, and its ``id`` may name a new
code, which is why each entry is checked against the code it names. What a search found
waits (held) until the profiler thread has remembered it, a batch between two passes, or
until a new sampler recalls it all. The entries (a weak reference without a callback and
a module name each) are taken out of the cyclic garbage collector's care where the C
part is built: as two tracked objects a code, a full collection visited them all (~0.7
ms a collection for 15,000 codes, ten times that in a large process).
"""

import weakref
from collections import deque
from types import CodeType
from typing import Final

try:
    from scopetel_stackwalk import untrack_weak_tuples
except ImportError:  # installed without its dependencies (``--no-deps``)
    untrack_weak_tuples = None

from scopetel._fork_safety import ForkSafeLock
from scopetel._profiling.code_search import Found

MAX_KNOWN: Final = 200_000  # entries; past it, the dead ones go, then all if still too many

_known: dict[int, tuple[weakref.ref[CodeType], str | None]] = {}
# What searches found and is not remembered yet (held strongly until then), oldest first,
# and how many of the oldest's are (``_taken``): a whole-process search finds up to
# 100 000 codes, whose weak references take hundreds of ms to make, so the profiler
# thread makes them a batch at a time between its passes.
_pending: deque[list[tuple[int, tuple[CodeType, str | None]]]] = deque()
_taken = 0
_lock: Final = ForkSafeLock()  # the profiler thread and a sampler being made both use these


def remember_later(found: Found) -> None:
    """Remember ``found`` in batches (``remember_some``); ``recall`` has it meanwhile."""
    items = list(found.items())
    with _lock:
        _pending.append(items)


def remember_some(count: int) -> None:
    """Remember up to ``count`` of the codes ``remember_later`` was given."""
    global _taken
    with _lock:
        batch: Found = {}
        while _pending and len(batch) < count:
            oldest = _pending[0]
            taken = oldest[_taken : _taken + count - len(batch)]
            batch.update(taken)
            _taken += len(taken)
            if _taken >= len(oldest):
                _pending.popleft()
                _taken = 0
        _remember(batch)


def remember(found: Found) -> None:
    """Keep what a search found (``id(code)`` -> the code and its module's name)."""
    with _lock:
        _remember(found)


def _remember(found: Found) -> None:
    known = _known
    made: list[tuple[weakref.ref[CodeType], str | None]] = []
    for code_id, (code, module) in found.items():
        entry = known.get(code_id)
        if entry is None or entry[0]() is not code:
            made.append(entry := (weakref.ref(code), module))
            known[code_id] = entry
    if untrack_weak_tuples is not None:  # out of the collector's way
        untrack_weak_tuples(made)
    if len(known) > MAX_KNOWN:
        for code_id in [code_id for code_id, (ref, _) in known.items() if ref() is None]:
            del known[code_id]
        if len(known) > MAX_KNOWN:
            known.clear()


def recall(limit: int) -> Found:
    """The codes remembered that are still alive, and those waiting to be (none when
    there are more than ``limit``)."""
    alive: Found = {}
    # Under the lock, not over a copy: a copy of 200 000 items is as many tracked
    # tuples that live through collections and can bring on a full one (~100 ms in a
    # large process, with every thread stopped: a gap in a short profile).
    with _lock:
        for code_id, (ref, module) in _known.items():
            code = ref()
            if code is not None and id(code) == code_id:
                alive[code_id] = (code, module)
        for position, items in enumerate(_pending):  # (held strongly: alive)
            alive.update(items[_taken:] if position == 0 else items)
    return alive if len(alive) <= limit else {}
