"""scopetel instrumentors for the standard library: threads, asyncio, logging, excepthooks.

Entry points (group ``opentelemetry_instrumentor``), each a ``BaseInstrumentor`` whose
module docstring has its usage:

- ``scopetel_threading``: ``threads.ThreadingInstrumentor``
- ``scopetel_asyncio``: ``asyncio_instrumentor.AsyncioInstrumentor`` (with
  ``asyncio_errors``, ``asyncio_metrics``, ``asyncio_snapshot``, ``asyncio_snapshot_signal``)
- ``scopetel_logging``: ``logs.LoggingInstrumentor`` (with ``log_correlation``)
- ``scopetel_excepthook``: ``excepthook.ExcepthookInstrumentor``
"""
