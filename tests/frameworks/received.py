"""Looking up what a Sentry receiver got from the framework apps."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver

Payload = dict[str, Any]
WAIT = 15.0


def message_of(event: Payload) -> str:
    """The event's message, or its exceptions' types and values."""
    values = (event.get("exception") or {}).get("values") or []
    if values:
        return " ".join(f"{v.get('type')}: {v.get('value')}" for v in values)
    logentry = event.get("logentry") or {}
    return str(logentry.get("formatted") or logentry.get("message") or event.get("message") or "")


def events_with(receiver: SentryReceiver, text: str, count: int = 1) -> list[Payload]:
    """Wait for ``count`` events whose message contains ``text``; all such events."""

    def found() -> list[Payload]:
        return [e for e in receiver.events() if text in message_of(e)]

    receiver.wait_for(lambda: len(found()) >= count, timeout=WAIT)
    return found()


def transactions_where(
    receiver: SentryReceiver, predicate: Callable[[Payload], bool], count: int = 1
) -> list[Payload]:
    """Wait for ``count`` transactions matching ``predicate``; all such transactions."""

    def found() -> list[Payload]:
        return [t for t in receiver.transactions() if predicate(t)]

    receiver.wait_for(lambda: len(found()) >= count, timeout=WAIT)
    return found()


def settle(receiver: SentryReceiver, request: Callable[[Payload], bool]) -> None:
    """Wait for the transaction of a request. An SDK enqueues a request's error events
    before its transaction (which ends after them) and sends in order: whatever the request
    reported has then arrived, and an event that never comes costs no time-out."""
    transactions_where(receiver, request)


def trace_of(payload: Payload) -> Payload:
    trace: Payload = payload["contexts"]["trace"]
    return trace


def in_trace(receiver: SentryReceiver, trace_id: str) -> list[Payload]:
    """The transactions of ``trace_id``, once at least one has arrived."""
    return transactions_where(receiver, lambda t: trace_of(t)["trace_id"] == trace_id)


def mechanism(event: Payload) -> Payload:
    """The mechanism of the event's outermost (last) exception."""
    found: Payload = event["exception"]["values"][-1].get("mechanism") or {}
    return found


def breadcrumbs_text(event: Payload) -> str:
    return json.dumps((event.get("breadcrumbs") or {}).get("values") or [])


def assert_all_valid(receiver: SentryReceiver) -> None:
    """Everything delivered parsed strictly and passes Relay's normalizer."""
    assert receiver.errors == []
    for payload in receiver.events() + receiver.transactions():
        assert_valid_event(payload)


def samples_inside(receiver: SentryReceiver, function: str) -> list[tuple[str, float, str]]:
    """(profiler id, timestamp, thread id) of every profile sample whose stack has a
    frame of ``function``."""
    found = []
    for chunk in receiver.items("profile_chunk"):
        profile = chunk.json["profile"]
        frames, stacks = profile["frames"], profile["stacks"]
        for sample in profile["samples"]:
            names = {frames[index].get("function") for index in stacks[sample["stack_id"]]}
            if function in names:
                found.append((chunk.json["profiler_id"], sample["timestamp"], sample["thread_id"]))
    return found
