"""One module per workload; see ``benchmarks.harness`` for what a module defines."""

ALL = (
    "span_record",
    "contrib_span",
    "span_sampled",
    "span_unsampled",
    "scopes",
    "transactions",
    "transaction_end",
    "memory",
    "asyncio_gather",
    "thread_pool",
    "backend",
    "sql_statements",
)
"""Every workload, in the order they run within a round and appear in the report."""
