"""A plain script for ``opentelemetry-instrument python script_app.py '<json>'``.

The JSON says where to make outgoing calls (``calls_to``), which incoming headers
to continue (``incoming``), and whether to capture an error with scopetel's API.
It starts one SERVER span like a web framework would, makes a ``requests``, an
``httpx`` and a ``urllib3`` call inside it with an application baggage entry, and
prints the root's ids as JSON.
"""

import json
import sys

import httpx
import requests
import urllib3
from opentelemetry import baggage, context, propagate, trace

import scopetel

config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
tracer = trace.get_tracer("e2e.script")
if config.get("incoming"):  # like a web framework's instrumentation
    context.attach(propagate.extract(config["incoming"]))

with tracer.start_as_current_span(
    "GET /checkout",
    kind=trace.SpanKind.SERVER,
    attributes={"http.request.method": "GET", "http.route": "/checkout", "url.path": "/checkout"},
) as root:
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        base = config.get("calls_to")
        if base:
            requests.get(f"{base}/requests", timeout=5)
            httpx.get(f"{base}/httpx", timeout=5)
            urllib3.PoolManager().request("GET", f"{base}/urllib3", timeout=5)
        if config.get("error"):
            try:
                raise ValueError("card declined")
            except ValueError:
                scopetel.capture_exception()
    finally:
        context.detach(token)

span_context = root.get_span_context()
print(
    json.dumps(
        {"trace_id": f"{span_context.trace_id:032x}", "span_id": f"{span_context.span_id:016x}"}
    )
)
print("app done")
