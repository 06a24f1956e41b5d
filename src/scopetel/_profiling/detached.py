"""Passes without the GIL: ``scopetel_stackwalk.DetachedSampler`` driven for a chunk.

A pass that takes the GIL costs more in hand-overs than in reading: the thread holding
the GIL is made to let it go, both threads switch, and the sampler may wait behind
several others (in the profiler benchmark, ~50 us of the sampler's own CPU a pass
against ~20 us of reading). Where ``scopetel-stackwalk`` has its detached sampler
(Linux, CPython 3.11 to 3.13) the profiler thread instead spends its time inside
``run()``, which samples with the GIL released, and takes the GIL about once a second
to ``collect`` the samples into the chunk and ``teach`` what is new.

It reads only code objects it was taught. Those are found four ways: on the stacks a
chunk resolves (its ``codes``); on every thread's stack when a pass met an untaught
code (``learn``); and, for the codes met that are never on a stack when the GIL is
held (a thread computing between two blocking calls is only seen there by a pass
without it: in the benchmark, its JSON encoding and list building), in the module of
the code's file (its name read through the system call: milliseconds, at once), and
by a search of every function the process can reach (``code_search``), which then
teaches all of them, spaced so that searching takes at most ``SEARCH_SHARE`` of the
time (while one runs, the profiler's passes take the GIL; what it found is remembered
for the next sampler of the process: ``known_codes``). A run ends after a pass that
met a code it was not taught and not told of, for it to be looked for at once (a
thread blocked there is found on its stack). Until a code is taught, a thread whose
stack has it gets no sample (counted in ``stats``). A thread
whose CPU clock has not moved since its last sample (blocked: most threads of a server
are, most of the time) is not read again: its last sample is repeated.

A thread not sampled before ends the run after its first sample, for its name to be
read while it runs. A thread running an asyncio event loop ends the run: its samples
carry the running task's name, which only the GIL side can read, so the profiler
samples with the GIL until its chunk ends.
"""

import _thread
import gc
import sys
import threading
import time
from collections.abc import Generator
from itertools import islice
from types import CodeType, FrameType
from typing import Final

try:
    from scopetel_stackwalk import DetachedSampler
except ImportError:  # installed without its dependencies (``--no-deps``)
    DetachedSampler = None

from scopetel._profiling.chunk import Chunk
from scopetel._profiling.code_search import (
    Found,
    module_codes,
    module_of,
    modules_of_files,
    searching,
)
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.known_codes import recall, remember, remember_later, remember_some

PASSES_PER_COLLECT: Final = 101  # about a second at 101 Hz
MAX_CODES: Final = 200_000  # codes held; past it, all are forgotten and learned again
MAX_THREADS: Final = 10_000  # thread ids taught, likewise
MAX_AIMED: Final = 10_000  # addresses whose modules were searched, remembered
TEACH_BATCH: Final = 10_000  # codes taught per call (a few ms)
REMEMBER_BATCH: Final = 2_000  # codes a search found remembered per call (a few ms)
SEARCH_SHARE: Final = 0.002  # of the time, at most, spent searching for codes
EVENT_LOOP: Final = 2 if DetachedSampler is None else DetachedSampler.EVENT_LOOP
BUSY: Final = 5 if DetachedSampler is None else DetachedSampler.BUSY


def thread_names() -> dict[int, str]:
    """The name of every thread alive ("" for one without)."""
    return {
        thread.ident: thread.name if isinstance(thread.name, str) else ""
        for thread in threading.enumerate()
        if thread.ident is not None
    }


def event_loop_codes() -> list[CodeType]:
    """The codes of asyncio's ``BaseEventLoop.run_forever`` and ``_run_once``, once
    asyncio is imported: a thread with one of them on its stack runs an event loop."""
    loop = getattr(sys.modules.get("asyncio.base_events"), "BaseEventLoop", None)
    codes = []
    for name in ("run_forever", "_run_once"):
        code = getattr(getattr(loop, name, None), "__code__", None)
        if isinstance(code, CodeType):
            codes.append(code)
    return codes


class DetachedPasses:
    """A profiler's detached sampler and what it was taught.

    Codes stay taught from chunk to chunk and from one run of the profiler thread to
    the next; a chunk's stacks do not. ``run`` is called by the profiler thread alone,
    outside the profiler's lock; the rest under that lock, from whichever thread swaps
    the chunk."""

    def __init__(self, max_depth: int) -> None:
        if DetachedSampler is None:
            raise OSError("scopetel-stackwalk has no detached sampler here")
        self._native = DetachedSampler(max_depth)  # OSError: not allowed here
        self._chunk: Chunk | None = None
        self._stacks = 0  # how many of the chunk's stacks were taught
        # id -> code, module: to start with, what searches in this process found
        self._codes: dict[int, tuple[CodeType, str | None]] = recall(MAX_CODES // 2)
        self._taught_codes = 0  # how many of them were taught
        self._loops: set[CodeType] = set()
        self._threads: set[int] = set()  # taught: a new one ends a run, to be named
        self._names: dict[int, str] = {}  # the threads alive when last asked
        self._wanted: set[int] = set()  # addresses of codes met, not taught, to look for
        self._missing: set[int] = set()  # addresses searched in vain (this chunk)
        self._ignored: set[int] = set()  # the two taught, not to end runs (this chunk)
        self._next_search = 0.0  # time.monotonic() of the next search
        self._search: tuple[set[int], Generator[None, None, Found], float] | None = None
        self._result: tuple[set[int], Found, float] | None = None
        self._searches = 0
        self._recalled = bool(self._codes)  # the process's code is known without a search
        self._aimed: set[int] = set()  # addresses whose modules were searched
        self._stepping = _thread.allocate_lock()  # only tried: never waited for
        # threads' root data-stack chunks (then read without the system call): learned at
        # each teach, with the GIL (an older scopetel-stackwalk has no such method)
        self._learn_roots = getattr(self._native, "learn_roots", None)

    def run(
        self,
        own_thread_id: int,
        interval: float,
        passes: int,
        first: float,
        room: int | None = None,
    ) -> int:
        """Sample ``first`` s from now, then every ``interval`` s, without the GIL,
        ``passes`` times (at most about a second's), or until a new thread or code, an
        event loop, ``room`` samples (FULL; a pass may add more: one a thread) or
        ``interrupt()``; why it returned."""
        count = max(1, min(passes, PASSES_PER_COLLECT))
        return self._native.run(interval, count, own_thread_id, max(first, 0.0), room)

    def interrupt(self) -> None:
        self._native.interrupt()

    def stats(self) -> dict[str, int]:
        """Passes, samples (``quiet``: those repeated for a thread that had not run since
        its last one, its stack not read again; ``calm``: those of them whose thread's CPU
        clock was not read either; ``copied``: stacks read without the system call, from
        a root chunk learned), and threads not sampled: ``unknown_code``, ``unreadable``."""
        return self._native.stats()

    def collect(self, chunk: Chunk, renderer: FrameRenderer) -> None:
        """Append the buffered samples to ``chunk``, if they are its (they are the taught
        chunk's); an unknown stack is resolved from the codes taught."""
        if chunk is not self._chunk:
            self.forget()
            return
        before = len(chunk.timestamps)
        try:
            self._resolve(chunk, renderer)
        finally:  # (a failure while resolving must not leave a sample without a stack)
            # (the new samples scanned in C, not a Python loop a sample: thousands a second)
            new = chunk.stack_ids[before:]
            dropped = (
                [before + i for i, stack in enumerate(new) if stack is None] if None in new else []
            )
            for position in reversed(dropped):
                for column in (chunk.timestamps, chunk.thread_ids, chunk.stack_ids, chunk.tasks):
                    del column[position]
        names = chunk.thread_names
        unnamed = set(chunk.thread_ids[before:]).difference(names)
        if unnamed:
            if not unnamed <= self._names.keys():  # a new thread: named while it runs
                self._names = thread_names()
            for thread in unnamed:
                names[thread] = self._names.get(thread, "")

    def _resolve(self, chunk: Chunk, renderer: FrameRenderer) -> None:
        """The buffered samples into the chunk; their new stacks first, each once (the
        samples then arrive with their index), the others' stack left None."""
        for new_raw, new_lanes in self._native.untaught():
            chunk.resolve_lanes(new_raw, new_lanes, renderer, self._codes)
        stacks = list(islice(chunk.raw_stacks.items(), self._stacks, None))
        if stacks:
            self._native.teach(stacks, [], [], [], [])
            self._stacks += len(stacks)
        records = self._native.drain(
            chunk.clock_offset, chunk.timestamps, chunk.thread_ids, chunk.stack_ids, chunk.tasks
        )
        for position, raw, lanes in records:
            if lanes is None:  # a later sample of a stack recorded once
                index = chunk.raw_stacks.get(raw)
            else:
                index = chunk.resolve_lanes(raw, lanes, renderer, self._codes)
            chunk.stack_ids[position] = index  # type: ignore[assignment]  # None: dropped

    @property
    def chunk(self) -> Chunk | None:
        """The chunk the passes were taught for (their samples are its)."""
        return self._chunk

    def learn(self) -> set[int] | None:
        """Look for the codes the passes met but were not taught on every thread's stack
        now; those still wanted when a search is due (``start_search``)."""
        wanted = self._wanted
        wanted.update(self._native.unknown_codes())
        wanted.difference_update(self._codes.keys(), self._missing)
        if not wanted:
            return None
        self._codes_on_stacks()
        wanted.difference_update(self._codes.keys())
        untried = wanted - self._aimed
        if untried:  # first in their own modules: a search of milliseconds, not spaced
            self._aim(untried)
            wanted.difference_update(self._codes.keys())
        if not wanted or self._search is not None or time.monotonic() < self._next_search:
            return None
        self._wanted = set()
        return wanted

    def _aim(self, addresses: set[int]) -> None:
        """Teach every code of the modules these codes' files are (their file names read
        through the system call); each address is aimed at once."""
        if len(self._aimed) > MAX_AIMED:
            self._aimed = set()
        self._aimed |= addresses
        files = {file for address in addresses if (file := self._native.code_file(address))}
        names = [name for found in modules_of_files(files).values() for name in found]
        if names:
            found = module_codes(names)
            self._codes.update(found)
            remember(found)

    @property
    def learning(self) -> bool:
        """A search runs, or codes found are not all taught yet: threads running them
        would get no sample from a pass without the GIL."""
        return self._search is not None or self._taught_codes < len(self._codes)

    @property
    def searching(self) -> bool:
        return self._search is not None

    @property
    def searches(self) -> int:
        """Searches done (the first teaches the process's code)."""
        return self._searches

    @property
    def knows_the_code(self) -> bool:
        """A search ended (or one in this process before this sampler was made)."""
        return self._recalled or self._searches > 0

    def start_search(self, wanted: set[int]) -> None:
        """Look for these codes among every function's; all of the process's codes are
        taught when they are not too many (the first search teaches the process's code
        at once). Long in a large process: done in steps (``search_step``)."""
        running = {module for _, module in self._codes.values() if module is not None}
        self._search = (wanted, searching(wanted, MAX_CODES // 2, running), 0.0)

    def search_step(self, budget: float) -> bool:
        """About ``budget`` s of CPU of the search (at most twice that of wall time),
        without the profiler's lock (it only reads the application's objects); True when
        it is done (``found`` then)."""
        if self._search is None:
            return True
        if not self._stepping.acquire(False):  # another profiler thread's step (a restart)
            return False
        try:
            return self._step(budget)
        finally:
            self._stepping.release()

    def _step(self, budget: float) -> bool:
        if self._search is None:
            return True
        wanted, steps, took = self._search
        began, wall = time.thread_time(), time.monotonic()
        try:  # waiting for the GIL (busy threads) is not CPU: the wall clock bounds it too
            while time.thread_time() - began < budget and time.monotonic() - wall < 2 * budget:
                next(steps)
        except StopIteration as done:
            self._result = (wanted, done.value, took + time.thread_time() - began)
            self._search = None
            return True
        except Exception:  # a bug: reported by the profiler thread; the next one spaced out
            self._result = (wanted, {}, took + time.thread_time() - began)
            self._search = None
            raise
        self._search = (wanted, steps, took + time.thread_time() - began)
        return False

    def found(self) -> None:
        """Teach (at the next ``teach``) what the finished search found; the next one is
        spaced out."""
        if self._result is None:
            return
        wanted, found, took = self._result
        self._result = None
        self._searches += 1
        self._codes.update(found)
        remember_later(found)  # a batch at each ``teach`` (``known_codes``)
        self._missing.update(wanted - found.keys())  # not looked for again this chunk
        self._next_search = time.monotonic() + took / SEARCH_SHARE

    def _codes_on_stacks(self) -> None:
        """Frame objects are made for other threads' frames: with the collector paused."""
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            codes = self._codes
            for top in sys._current_frames().values():
                frame: FrameType | None = top
                while frame is not None:
                    code = frame.f_code
                    if id(code) not in codes:
                        codes[id(code)] = (code, module_of(frame.f_globals))
                    frame = frame.f_back
        finally:
            if collecting:
                gc.enable()

    def teach(self, chunk: Chunk) -> None:
        """Teach the stacks ``chunk`` learned since the last time (all of them, for a new
        chunk), and the codes and event loops not taught yet."""
        if chunk is not self._chunk:
            self.forget()
            self._chunk = chunk
        remember_some(REMEMBER_BATCH)
        codes = self._codes
        for code_id, held in chunk.codes.items():
            codes.setdefault(code_id, held)
        if len(codes) > MAX_CODES or len(self._threads) > MAX_THREADS:
            self._native.reset(True)  # its stacks and what it was told of too
            self._codes, self._loops, self._taught_codes = dict(chunk.codes), set(), 0
            self._threads, self._stacks, self._ignored = set(), 0, set()
        stacks = list(islice(chunk.raw_stacks.items(), self._stacks, None))
        taught = self._taught_codes  # in batches: the profiler takes passes with the GIL between
        new_codes = [code for code, _ in islice(self._codes.values(), taught, taught + TEACH_BATCH)]
        loops = [code for code in event_loop_codes() if code not in self._loops]
        threads = [thread for thread in chunk.thread_names if thread not in self._threads]
        ignored = list((self._wanted | self._missing) - self._ignored)
        if stacks or new_codes or loops or threads or ignored:
            self._native.teach(stacks, new_codes, loops, threads, ignored)
            self._stacks += len(stacks)
            self._taught_codes += len(new_codes)
            self._loops.update(loops)
            self._threads.update(threads)
            self._ignored.update(ignored)
        if self._learn_roots is not None:  # (it checks sys.modules itself, in the same call)
            self._learn_roots()  # new threads' roots, read without the system call from then on

    def forget(self) -> None:
        """Drop the stacks taught and the samples buffered (the chunk is sent, or replaced)."""
        self._native.reset(False)
        self._chunk = None
        self._stacks = 0
        self._missing = set()
        self._ignored = set()


def detached_passes(max_depth: int) -> DetachedPasses | None:
    """A detached sampler, where there is one."""
    try:
        return DetachedPasses(max_depth)
    except OSError:
        return None
