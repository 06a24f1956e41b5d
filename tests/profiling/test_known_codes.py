"""What searches found outlives the sampler that asked: a profiler made again (a new
``init()``, a forked worker) starts knowing the process's code, and keeps none alive."""

import gc
import json
import subprocess
import sys
import weakref
from types import CodeType

import pytest

from scopetel._profiling import detached, known_codes
from scopetel._profiling.code_search import find_codes

HELD: list[object] = []  # functions kept alive where only the collector's walk finds them


def made_code(name: str, *, held: bool = False) -> CodeType:
    namespace: dict[str, object] = {}
    exec(compile(f"def {name}():\n    return 1\n", "<made>", "exec"), namespace)
    function = namespace[name]
    assert callable(function)
    if held:  # else only a cycle with its globals keeps it, until a collection
        HELD.append(function)
    return function.__code__  # type: ignore[attr-defined,no-any-return]


def test_remembered_codes_are_recalled_while_alive_and_not_kept_alive() -> None:
    kept, dropped = made_code("kept"), made_code("dropped")
    known_codes.remember({id(kept): (kept, "mod"), id(dropped): (dropped, None)})
    assert known_codes.recall(10**6)[id(kept)] == (kept, "mod")
    dropped_id = id(dropped)
    del dropped
    gc.collect()
    assert dropped_id not in known_codes.recall(10**6)  # it died: nothing held it


def test_remembered_entries_are_no_work_for_the_garbage_collector() -> None:
    if known_codes.untrack_weak_tuples is None:
        pytest.skip("built without the C extension")
    codes = [made_code(f"many_{index}") for index in range(500)]
    known_codes.remember({id(code): (code, "mod") for code in codes})
    entries = [known_codes._known[id(code)] for code in codes]
    assert not any(gc.is_tracked(entry) or gc.is_tracked(entry[0]) for entry in entries)
    refs = [entry[0] for entry in entries]
    del codes, entries
    gc.collect()
    assert all(ref() is None for ref in refs)  # still cleared when their codes die


def test_an_id_reused_by_another_code_is_not_taken_for_the_old_one() -> None:
    old, new = made_code("old"), made_code("new")
    # as if ``old`` had died and ``new`` been made at its address: the entry under the
    # id names a code that is not the one at that id now
    known_codes._known[id(new)] = (weakref.ref(old), "old")
    assert id(new) not in known_codes.recall(10**6)
    known_codes.remember({id(new): (new, "new")})  # a search finds the new one: replaced
    assert known_codes.recall(10**6)[id(new)] == (new, "new")


def test_more_than_the_limit_recalls_nothing() -> None:
    codes = [made_code(f"f{n}") for n in range(5)]
    known_codes.remember({id(code): (code, None) for code in codes})
    assert known_codes.recall(2) == {}


def test_a_new_sampler_knows_what_an_earlier_search_found() -> None:
    if detached.detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    code = made_code("searched", held=True)
    known_codes.remember(find_codes({id(code)}, 0))  # found by address (limit 0: no others)
    passes = detached.DetachedPasses(8)
    assert passes.knows_the_code
    assert id(code) in passes._codes


BATCHES = """
import json
from scopetel._profiling import detached, known_codes
from scopetel._profiling.chunk import Chunk

passes = detached.detached_passes(8)
if passes is None:
    print(json.dumps(None))
else:
    detached.REMEMBER_BATCH = 4
    namespace = {}
    exec("".join(f"def batch{n}():\\n    return {n}\\n" for n in range(10)), namespace)
    codes = [namespace[f"batch{n}"].__code__ for n in range(10)]
    passes._result = ({id(codes[0])}, {id(code): (code, "mod") for code in codes}, 0.01)
    passes.found()
    counts = [sum(id(code) in passes._codes for code in codes)]  # taught at once
    for _ in range(4):
        counts.append(sum(id(code) in known_codes._known for code in codes))
        passes.teach(Chunk())
    print(json.dumps(counts))
"""


def test_what_a_search_found_is_remembered_a_batch_at_a_time() -> None:
    """A whole-process search finds up to 100 000 codes; making their weak references
    takes hundreds of ms, so the profiler thread does it a batch per ``teach`` (between
    its passes), not all at once when the search ends. (In a process of its own: here,
    a profiler thread of an earlier test could remember a batch meanwhile.)"""
    done = subprocess.run(
        [sys.executable, "-c", BATCHES], capture_output=True, text=True, timeout=60, check=True
    )
    counts = json.loads(done.stdout)
    if counts is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    assert counts == [10, 0, 4, 8, 10]


def test_a_new_sampler_recalls_what_was_found_but_not_yet_remembered() -> None:
    """A search's result waits to be remembered a batch at a time; a sampler made
    meanwhile (a new ``init()``, a worker forked from a pre-fork master) recalls it all."""
    passes = detached.detached_passes(8)
    if passes is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    codes = [made_code(f"waiting{n}") for n in range(5)]
    passes._result = ({id(codes[0])}, {id(code): (code, "mod") for code in codes}, 0.01)
    passes.found()
    again = detached.DetachedPasses(8)
    assert all(again._codes.get(id(code)) == (code, "mod") for code in codes)
