"""Run by test_gevent_context.py in a subprocess (monkey-patching stays out of pytest).

    python gevent_app.py {instrumented|plain|late|toggle}

Prints one JSON object: the captured events and transactions, and what was observed.
"""

# ruff: noqa: E402 - gevent must patch before the other imports

import sys

MODE = sys.argv[1]

if MODE == "late":  # instrument before gevent is even imported: the plugin path
    from scopetel_instrumentation_gevent import GeventInstrumentor

    GeventInstrumentor().instrument()
    assert "gevent" not in sys.modules

from gevent import monkey

monkey.patch_all()

import json
import random
import threading
from typing import Any

import gevent
import gevent.pool

import scopetel
from scopetel.testing import capture_envelopes

random.seed(7)


def child_span(index: int) -> str:
    gevent.sleep(random.random() / 100)
    with scopetel.start_span(op="child", name=f"child-{index}") as span:
        gevent.sleep(0)
        return span.trace_id


def request(index: int) -> None:
    """One concurrent "request": no explicit scope, relying on the greenlet's fork."""
    scopetel.set_tag("request", str(index))
    gevent.sleep(random.random() / 100)

    def sub() -> None:
        scopetel.set_tag("sub", str(index))
        scopetel.capture_message(f"sub {index}")

    gevent.spawn(sub).join()
    gevent.sleep(random.random() / 100)
    scopetel.capture_message(f"request {index}")


def main() -> dict[str, Any]:
    observed: dict[str, Any] = {}
    options: dict[str, Any] = {"traces_sample_rate": 1.0}
    if MODE == "plain":
        options["default_integrations"] = False
    with capture_envelopes(**options) as transport:
        with scopetel.start_transaction(name="fanout") as root:
            greenlets = [gevent.spawn(child_span, index) for index in range(5)]
            pooled = gevent.pool.Pool(2).map(child_span, range(5, 8))
            later = gevent.spawn_later(0.001, child_span, 8)
            found: list[str] = []
            thread = threading.Thread(target=lambda: found.append(child_span(9)))
            thread.start()
            thread.join()
            gevent.joinall([*greenlets, later])
        observed["root_trace"] = root.trace_id
        observed["child_traces"] = [g.value for g in greenlets] + pooled + [later.value, *found]
        gevent.joinall([gevent.spawn(request, index) for index in range(20)])
        scopetel.capture_message("after the requests")
    observed["events"] = transport.events()
    observed["transactions"] = transport.transactions()
    return observed


def toggle() -> dict[str, Any]:
    """What a greenlet sees of its spawner's contextvars, instrumented or not."""
    import contextvars

    from scopetel_instrumentation_gevent import GeventInstrumentor

    marker = contextvars.ContextVar("marker", default="unset")
    marker.set("spawner")
    seen = {}
    for step in ("before", "instrumented", "uninstrumented", "again"):
        if step in ("instrumented", "again"):
            GeventInstrumentor().instrument()
        elif step == "uninstrumented":
            GeventInstrumentor().uninstrument()
        seen[step] = gevent.spawn(marker.get).get()
    GeventInstrumentor().uninstrument()
    return seen


print(json.dumps(toggle() if MODE == "toggle" else main()))
