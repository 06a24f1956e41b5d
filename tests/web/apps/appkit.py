"""What every test application does, whatever the framework: the same HTTP API.

``/tagged/<rid>/``  marks the request's scopes with ``rid``, makes a span, captures a
                    message and answers the ids of the span current in the view.
``/stream/<rid>/<n>/`` (and ``/astream/``) marks the scopes, then streams ``n`` lines;
                    each is produced inside a ``chunk`` span that stays open until the
                    next one is asked for. The first line holds the ids current in the
                    body, the last step captures a message.
``/error/<rid>/``   marks the scopes and raises.
The query string ``delay`` (seconds) slows every chunk down.
"""

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scopetel


def mark(rid: str) -> None:
    """Everything a request may set on its scopes, all naming ``rid``."""
    scopetel.set_tag("req", rid)
    scopetel.set_user({"id": rid})
    scopetel.set_context("request_marker", {"rid": rid})
    scopetel.add_breadcrumb(category="test", message=f"crumb {rid}")


def ids() -> dict[str, Any]:
    span = scopetel.get_current_span()
    return {
        "trace_id": span.trace_id if span else None,
        "span_id": span.span_id if span else None,
        "tag": scopetel.get_isolation_scope().data.tags.get("req"),
        "pid": os.getpid(),
    }


def tagged(rid: str) -> bytes:
    mark(rid)
    with scopetel.start_span(op="work", name=f"work {rid}"):
        time.sleep(0.002)
    scopetel.capture_message(f"tagged {rid}")
    return json.dumps(ids()).encode()


def chunks(rid: str, n: int, delay: float) -> Iterator[bytes]:
    yield json.dumps(ids()).encode() + b"\n"
    for index in range(n):
        with scopetel.start_span(op="chunk", name=f"chunk {index}"):
            time.sleep(delay)
            yield f"{rid} {index}\n".encode() + b"." * 512
    scopetel.capture_message(f"streamed {rid}")


async def achunks(rid: str, n: int, delay: float) -> AsyncIterator[bytes]:
    yield json.dumps(ids()).encode() + b"\n"
    for index in range(n):
        with scopetel.start_span(op="chunk", name=f"chunk {index}"):
            await asyncio.sleep(delay)
            yield f"{rid} {index}\n".encode() + b"." * 512
    scopetel.capture_message(f"streamed {rid}")


def delay_of(query: str) -> float:
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "delay":
            return float(value)
    return 0.0
