"""gevent greenlets inherit the spawner's Context; concurrent greenlet requests stay isolated.

gevent's monkey-patching must never happen in the pytest process: each scenario runs
``gevent_app.py`` in a subprocess and checks what it printed.
"""

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support.relay import assert_valid_event

APP = Path(__file__).with_name("gevent_app.py")


@cache
def _run(mode: str) -> dict[str, Any]:
    env = {**os.environ, "SCOPETEL_RAISE_INTERNAL_ERRORS": "1"}
    result = subprocess.run(
        [sys.executable, str(APP), mode], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    observed: dict[str, Any] = json.loads(result.stdout)
    return observed


def _span_parents(observed: dict[str, Any]) -> tuple[str, set[str | None], int]:
    (fanout,) = [t for t in observed["transactions"] if t["transaction"] == "fanout"]
    root = fanout["contexts"]["trace"]["span_id"]
    parents = {span.get("parent_span_id") for span in fanout["spans"]}
    return root, parents, len(fanout["spans"])


@pytest.mark.parametrize("mode", ["instrumented", "late"])
def test_spawned_greenlets_are_children_of_the_spawners_span(mode: str) -> None:
    observed = _run(mode)
    assert observed["child_traces"] == [observed["root_trace"]] * 10
    root, parents, count = _span_parents(observed)
    assert parents == {root} and count == 10
    assert [t["transaction"] for t in observed["transactions"]] == ["fanout"]


@pytest.mark.parametrize("mode", ["instrumented", "late"])
def test_concurrent_greenlet_requests_stay_isolated(mode: str) -> None:
    events = _run(mode)["events"]
    assert len(events) == 41
    for event in events:
        assert_valid_event(event)
        kind, _, index = event["message"].partition(" ")
        if kind == "request":
            assert event["tags"] == {"request": index}
        elif kind == "sub":
            assert event["tags"] == {"request": index, "sub": index}
        else:
            assert event["message"] == "after the requests"
            assert event.get("tags", {}) == {}


def test_without_instrumentation_greenlets_lose_span_and_scopes() -> None:
    observed = _run("plain")
    assert observed["child_traces"].count(observed["root_trace"]) == 0
    assert len(observed["transactions"]) > 1  # every child became a root of its own
    events = {event["message"]: event for event in observed["events"]}
    leaked = [
        name
        for name, event in events.items()
        if name.startswith("request ") and event["tags"]["request"] != name.split()[1]
    ]
    assert leaked  # the process-wide isolation scope is shared by all greenlets


def test_instrument_and_uninstrument_add_and_remove_the_spawn_callback() -> None:
    assert _run("toggle") == {
        "before": "unset",
        "instrumented": "spawner",
        "uninstrumented": "unset",
        "again": "spawner",
    }
