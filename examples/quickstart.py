"""A small tour of scopetel's API: an async fan-out, a traced generator and an error.

Run with ``.venv/bin/python examples/quickstart.py``: it captures in memory and prints what
would be sent. (``bash scripts/demo.sh`` runs the web demo against ``scopetel serve``.)
"""

import asyncio
from collections.abc import Iterator
from typing import Any

import scopetel
from scopetel.testing import capture_envelopes


@scopetel.trace(op="http.client")
async def fetch(item: int) -> int:
    await asyncio.sleep(0.01 * item)
    return item * 2


@scopetel.trace(op="serialize")
def rows(count: int) -> Iterator[str]:
    for index in range(count):
        yield f"row {index}\n"


async def handle_request(user: str) -> None:
    with scopetel.isolation_scope():
        scopetel.set_user({"id": user})
        scopetel.set_tag("endpoint", "/report")
        with scopetel.start_transaction(name="GET /report", op="http.server", source="route"):
            await asyncio.gather(*(fetch(i) for i in range(3)))
            body = "".join(rows(3))
            try:
                int(body)
            except ValueError:
                scopetel.capture_exception()


def print_tree(transaction: dict[str, Any]) -> None:
    root = transaction["contexts"]["trace"]
    print(f"transaction {transaction['transaction']!r} trace={root['trace_id']}")
    children: dict[str, list[dict[str, Any]]] = {}
    for span in transaction["spans"]:
        children.setdefault(span["parent_span_id"], []).append(span)

    def walk(span_id: str, depth: int) -> None:
        for span in children.get(span_id, []):
            millis = (span["timestamp"] - span["start_timestamp"]) * 1000
            print(f"{'  ' * depth}└─ {span['op']}: {span['description']} ({millis:.1f} ms)")
            walk(span["span_id"], depth + 1)

    print(f"  {root.get('op')}")
    walk(root["span_id"], 2)


async def main() -> None:
    with capture_envelopes(traces_sample_rate=1.0, environment="demo") as transport:
        await asyncio.gather(handle_request("alice"), handle_request("bob"))
    for transaction in transport.transactions():
        print_tree(transaction)
    for event in transport.events():
        error = event["exception"]["values"][-1]
        print(f"error {error['type']}: {error['value']} user={event['user']['id']}")


if __name__ == "__main__":
    asyncio.run(main())
