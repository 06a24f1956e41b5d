"""The code objects searches found in this process, held weakly, for the next sampler.

A search of every reachable function (``code_search``) costs ~50 ms of CPU in a small
service and seconds in a large process; its result outlives the ``DetachedPasses`` that
asked for it, so that a profiler made again (a new ``init()``, a forked worker of a
pre-fork server, which inherits this memory) starts knowing the process's code instead
of searching for it again. Codes are held weakly (code objects take weak references):
this memory keeps none alive; one that died is skipped, and its ``id`` may name a new
code, which is why each entry is checked against the code it names.
"""

import weakref
from types import CodeType
from typing import Final

from scopetel._profiling.code_search import Found

MAX_KNOWN: Final = 200_000  # entries; past it, the dead ones go, then all if still too many

_known: dict[int, tuple[weakref.ref[CodeType], str | None]] = {}


def remember(found: Found) -> None:
    """Keep what a search found (``id(code)`` -> the code and its module's name)."""
    known = _known
    for code_id, (code, module) in found.items():
        entry = known.get(code_id)
        if entry is None or entry[0]() is not code:
            known[code_id] = (weakref.ref(code), module)
    if len(known) > MAX_KNOWN:
        for code_id in [code_id for code_id, (ref, _) in known.items() if ref() is None]:
            del known[code_id]
        if len(known) > MAX_KNOWN:
            known.clear()


def recall(limit: int) -> Found:
    """The codes remembered that are still alive (none when there are more than ``limit``)."""
    alive: Found = {}
    for code_id, (ref, module) in list(_known.items()):
        code = ref()
        if code is not None and id(code) == code_id:
            alive[code_id] = (code, module)
    return alive if len(alive) <= limit else {}
