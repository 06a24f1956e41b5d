"""Requests to the test servers, and finding what reached the Sentry receiver for each.

Each request carries a unique id ``rid`` in its path. What arrives is matched to a
request by its ``request.url`` (taken from the request itself, never from scope data);
the scope data it carries (tag, user, context, breadcrumbs) must then name the same id.
"""

from __future__ import annotations

import json
import random
import socket
import string
import struct
from typing import Any

import requests

from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver


def new_rid() -> str:
    """Letters only: Relay would scrub an id-like path segment from URL transaction names."""
    return "".join(random.choices(string.ascii_lowercase, k=12))


def get(base: str, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(base + path, headers=headers, timeout=15)


def first_line(response: requests.Response) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(response.content.split(b"\n", 1)[0])
    return answer


def disconnect_mid_stream(port: int, path: str) -> bytes:
    """GET ``path``, read until the first streamed line arrived, then reset the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        received = b""
        while b" 0\n" not in received:
            data = sock.recv(4096)
            if not data:
                break
            received += data
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return received


def _url_path(item: dict[str, Any]) -> str:
    url = str((item.get("request") or {}).get("url", ""))
    return url.split("://", 1)[-1].partition("/")[2]


def for_rid(items: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    return [item for item in items if f"/{rid}/" in "/" + _url_path(item)]


def transaction_for(receiver: SentryReceiver, rid: str, timeout: float = 15.0) -> dict[str, Any]:
    receiver.wait_for(lambda: len(for_rid(receiver.transactions(), rid)) >= 1, timeout)
    (transaction,) = for_rid(receiver.transactions(), rid)
    checked = dict(transaction)
    if transaction["transaction_info"]["source"] == "url":
        # Relay scrubs numbers from URL names and notes it in _meta: not an error of ours.
        checked["transaction"] = "GET /"
    assert_valid_event(checked)
    return transaction


def events_for(receiver: SentryReceiver, rid: str, count: int = 1) -> list[dict[str, Any]]:
    receiver.wait_for(lambda: len(for_rid(receiver.events(), rid)) >= count, 15.0)
    events = for_rid(receiver.events(), rid)
    for event in events:
        assert_valid_event(event)
    return events


def assert_only_own_scope_data(item: dict[str, Any], rid: str) -> None:
    """The tag, user, context and breadcrumbs of ``item`` all come from request ``rid``."""
    assert item.get("tags", {}).get("req") == rid, item.get("tags")
    assert (item.get("user") or {}).get("id") == rid, item.get("user")
    assert item["contexts"]["request_marker"] == {"rid": rid}
    crumbs = [crumb["message"] for crumb in (item.get("breadcrumbs") or {}).get("values", [])]
    assert all(crumb == f"crumb {rid}" for crumb in crumbs if crumb.startswith("crumb ")), crumbs


def chunk_spans(transaction: dict[str, Any]) -> list[dict[str, Any]]:
    return [span for span in transaction["spans"] if span.get("op") == "chunk"]
