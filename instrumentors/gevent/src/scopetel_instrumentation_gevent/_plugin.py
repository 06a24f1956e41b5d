"""gevent plugin (entry point ``gevent.plugins.monkey.did_patch_all``).

gevent calls it at the end of ``monkey.patch_all()``. When the gevent instrumentation
was enabled before gevent was imported (``opentelemetry-instrument`` or an early
``scopetel.init()``), this is where the spawn callback gets added.
"""

from typing import Any

from scopetel.instrumentation import report_internal_error


def did_patch_all(event: Any) -> None:
    try:
        from scopetel_instrumentation_gevent import GeventInstrumentor
        from scopetel_instrumentation_gevent._spawn import add_spawn_callback

        if GeventInstrumentor().is_instrumented_by_opentelemetry:
            add_spawn_callback()
    except Exception:
        report_internal_error("gevent did_patch_all plugin")
