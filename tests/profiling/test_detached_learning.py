"""How the passes without the GIL learn the code they meet: a code met on a stack that
no pass with the GIL would see is looked for first in its own module, found from its
file name (read through the same system call as frames), in milliseconds."""

import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

from scopetel._profiling import detached
from scopetel._profiling.chunk import Chunk

SOURCE = """
import time

def crunch():
    return sum(n * n for n in range(30_000))

def serve(stop):
    while not stop.is_set():
        crunch()            # computing: never on the stack when the GIL is taken
        time.sleep(0.001)   # a blocking call: where a pass with the GIL finds it
"""


@pytest.fixture
def module_loaded_later(tmp_path: Path) -> ModuleType:
    (tmp_path / "loaded_later.py").write_text(SOURCE)
    sys.path.insert(0, str(tmp_path))
    try:
        import loaded_later  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    yield loaded_later
    del sys.modules["loaded_later"]


def test_a_code_met_is_found_in_its_module_without_a_search(
    module_loaded_later: ModuleType,
) -> None:
    passes = detached.detached_passes(128)
    if passes is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    crunch = module_loaded_later.crunch.__code__
    assert passes._native.code_file(id(crunch)) == crunch.co_filename
    passes.teach(Chunk())
    passes._next_search = time.monotonic() + 3600  # no search of the whole process now
    stop = threading.Event()
    worker = threading.Thread(target=module_loaded_later.serve, args=(stop,))
    worker.start()
    try:
        for _ in range(50):
            passes.run(threading.get_ident(), 0.002, 20, 0.004)  # the worker runs first
            assert passes.learn() is None  # nothing left for a search to look for
            if id(crunch) in passes._codes:
                break
    finally:
        stop.set()
        worker.join()
    assert passes._codes[id(crunch)] == (crunch, "loaded_later")
    assert passes.searches == 0 and not passes.searching


def test_the_file_of_what_is_not_a_code_is_none() -> None:
    passes = detached.detached_passes(8)
    if passes is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    things = [object(), "text", 1.5, [1, 2]]
    assert [passes._native.code_file(id(thing)) for thing in things] == [None] * 4
    assert passes._native.code_file(8) is None  # unmapped: the read fails, nothing faults
