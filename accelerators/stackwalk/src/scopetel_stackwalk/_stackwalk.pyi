from types import FrameType

def stack_hash(frame: FrameType, max_depth: int, /) -> int: ...
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
