"""Diagnostics of asyncio tasks: ``scopetel.asyncio.snapshot()``.

    import scopetel.asyncio

    print(scopetel.asyncio.snapshot().format())

The implementation lives in the ``scopetel-instrumentation-stdlib`` distribution
(``scopetel_instrumentation_stdlib.asyncio_snapshot``, and ``asyncio_snapshot_signal``
to log a snapshot on a signal); importing this module imports
it (``import scopetel`` alone does not).
"""

try:
    from scopetel_instrumentation_stdlib.asyncio_snapshot import (
        CATEGORIES,
        Snapshot,
        TaskInfo,
        snapshot,
    )
    from scopetel_instrumentation_stdlib.asyncio_snapshot_signal import (
        SnapshotSignal,
        install_snapshot_signal,
    )
except ImportError as error:  # pragma: no cover - the distribution is a dependency in practice
    raise ImportError(
        "scopetel.asyncio needs the scopetel-instrumentation-stdlib distribution"
    ) from error

__all__ = [
    "CATEGORIES",
    "Snapshot",
    "SnapshotSignal",
    "TaskInfo",
    "install_snapshot_signal",
    "snapshot",
]
