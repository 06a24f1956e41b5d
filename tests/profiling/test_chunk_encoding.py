"""A chunk's samples are encoded in C (``scopetel_stackwalk.encode_samples``) into the
chunk's JSON: the same samples the dicts they replace give, and a chunk that JSON cannot
carry as it is still goes out, made safe, from the dicts."""

import gc
import json
from typing import Any

import pytest
import scopetel_stackwalk

from scopetel._profiling.chunk import Chunk
from scopetel._profiling.session import _Send

pytestmark = pytest.mark.skipif(
    scopetel_stackwalk.encode_samples is None, reason="built without the C extension"
)
PROFILER_ID = "0123456789abcdef0123456789abcdef"
METADATA = {"release": "shop@1.0", "environment": "production"}


class Sent:
    """Stands in for the client: the envelopes ``_Send`` hands it."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    def send(self, envelope: Any) -> None:
        self.envelopes.append(envelope)


def filled(tasks: list[str | None]) -> Chunk:
    chunk = Chunk()
    chunk.frames = [{"function": "handle", "module": "shop.views", "lineno": 12, "in_app": True}]
    chunk.stacks = [[0]]
    for index in range(3000):
        chunk.timestamps.append(chunk.now())
        chunk.thread_ids.append(139_900_000_000_000 + index % 7)
        chunk.stack_ids.append(0)
        chunk.tasks.append(tasks[index % len(tasks)])
    chunk.thread_names = {139_900_000_000_000 + n: f"worker-{n}" for n in range(7)}
    return chunk


def sent_payload(chunk: Chunk) -> dict[str, Any]:
    client = Sent()
    _Send(client, METADATA)(chunk, PROFILER_ID)  # type: ignore[arg-type]
    (envelope,) = client.envelopes
    (item,) = envelope.items
    assert item.headers["type"] == "profile_chunk" and item.headers["platform"] == "python"
    assert item.headers["length"] == len(item.payload)
    return json.loads(item.payload)


def test_the_chunk_sent_has_the_samples_the_dicts_give() -> None:
    chunk = filled([None, None, 'orders "sync"', None, "café ✓"])
    sent = sent_payload(chunk)
    plain = json.loads(json.dumps(chunk.payload(PROFILER_ID, METADATA, encoded=False)))
    samples, expected = sent["profile"].pop("samples"), plain["profile"].pop("samples")
    assert sent == plain  # everything but the samples: the same
    assert len(samples) == len(expected) == 3000
    for ours, theirs in zip(samples, expected, strict=True):
        assert list(ours) == list(theirs)  # the keys, in their order
        assert abs(ours.pop("timestamp") - theirs.pop("timestamp")) <= 5e-7 + 2.4e-7
        assert ours == theirs
    assert {s.get("task_name") for s in samples} == {None, 'orders "sync"', "café ✓"}


def test_a_task_name_with_a_lone_surrogate_is_sent_with_its_escape() -> None:
    """As anything else scopetel sends makes one safe (``json_item``)."""
    sent = sent_payload(filled(["poll \udc80"]))
    assert {s["task_name"] for s in sent["profile"]["samples"]} == {"poll \\udc80"}


def test_a_chunk_json_cannot_carry_is_sent_from_the_dicts_made_safe() -> None:
    chunk = filled([None])
    chunk.frames[0]["function"] = "handle\udc80"  # not UTF-8: orjson refuses the document
    sent = sent_payload(chunk)
    assert len(sent["profile"]["samples"]) == 3000
    assert sent["profile"]["frames"][0]["function"].startswith("handle")


def test_a_chunks_columns_are_not_visited_by_full_collections() -> None:
    """They hold numbers and strings only, up to 60,000 of each; a busy service runs a
    full collection several times a second."""
    chunk = filled([None, "poll"])
    columns = (chunk.timestamps, chunk.thread_ids, chunk.stack_ids, chunk.tasks)
    assert not any(gc.is_tracked(column) for column in columns)
    gc.collect()
    assert len(sent_payload(chunk)["profile"]["samples"]) == 3000
