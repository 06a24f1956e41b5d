"""One module per workload; see ``benchmarks.harness`` for what a module defines."""

ALL = (
    "span_sampled",
    "span_unsampled",
    "scopes",
    "transactions",
    "memory",
    "asyncio_gather",
    "thread_pool",
    "backend",
)
"""Every workload, in the order they run within a round and appear in the report."""
