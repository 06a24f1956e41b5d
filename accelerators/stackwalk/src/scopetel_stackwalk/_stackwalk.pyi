import weakref
from types import CodeType, FrameType
from typing import Any

def stack_hash(frame: FrameType, max_depth: int, /) -> int: ...
def encode_samples(
    timestamps: list[float],
    thread_ids: list[int],
    stack_ids: list[int],
    tasks: list[str | None],
    task_json: dict[str, bytes],
    /,
) -> bytes: ...
def untrack_columns(*lists: list[float] | list[int] | list[str | None]) -> None: ...
def untrack_weak_tuples(
    tuples: list[tuple[weakref.ref[Any] | str | int | float | None, ...]], /
) -> None: ...
def sample_threads(
    max_depth: int,
    skip: int,
    stacks: dict[int, int],
    names: dict[int, str],
    timestamp: float,
    tasks: dict[int, str],
    timestamps: list[float],
    thread_ids: list[int],
    stack_ids: list[int],
    task_names: list[str | None],
    /,
) -> list[tuple[int, int]] | None: ...

class DetachedSampler:
    DUE: int
    NEW_THREAD: int
    NEW_CODE: int
    EVENT_LOOP: int
    INTERRUPTED: int
    FULL: int
    BUSY: int
    def __new__(cls, max_depth: int) -> DetachedSampler: ...
    def run(
        self,
        interval: float,
        passes: int,
        own_thread_id: int,
        first: float = ...,
        max_samples: int | None = ...,
        /,
    ) -> int: ...
    def interrupt(self) -> None: ...
    def teach(
        self,
        stacks: list[tuple[int, int]],
        codes: list[CodeType],
        loops: list[CodeType],
        threads: list[int],
        ignored: list[int],
        /,
    ) -> None: ...
    def drain(
        self,
        offset: float,
        timestamps: list[float],
        thread_ids: list[int],
        stack_ids: list[Any],
        tasks: list[str | None],
        /,
    ) -> list[tuple[int, int, tuple[int, ...] | None]]: ...
    def reset(self, everything: bool, /) -> None: ...
    def unknown_codes(self) -> list[int]: ...
    def code_file(self, address: int, /) -> str | None: ...
    def untaught(self) -> list[tuple[int, tuple[int, ...]]]: ...
    def stats(self) -> dict[str, int]: ...
