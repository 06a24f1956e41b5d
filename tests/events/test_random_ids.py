"""Event, session, check-in and profiler ids: UUID4s from the interpreter's generator."""

import os
import uuid

import pytest

import scopetel
from scopetel._random_ids import new_uuid4, uuid4_hex, uuid4_int
from scopetel.testing import capture_envelopes


def test_ids_are_uuid4s() -> None:
    seen = set()
    for _ in range(2000):
        text = uuid4_hex()
        parsed = uuid.UUID(text)
        assert len(text) == 32 and text == text.lower()
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 2000
    made = new_uuid4()
    assert made.version == 4 and made.variant == uuid.RFC_4122
    assert uuid4_int() != uuid4_int()


def test_captured_event_has_uuid4_event_id() -> None:
    with capture_envelopes() as transport:
        event_id = scopetel.capture_message("hello")
        scopetel.flush()
    assert event_id is not None and uuid.UUID(event_id).version == 4
    assert [event["event_id"] for event in transport.events()] == [event_id]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_draw_other_ids() -> None:
    """The random module reseeds in a child: children never repeat each other's ids."""
    uuid4_hex()  # the parent's generator state is what each child would inherit
    reads = []
    for _ in range(2):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (child)
            os.write(write_end, uuid4_hex().encode())
            os._exit(0)
        os.close(write_end)
        reads.append(os.read(read_end, 64).decode())
        os.close(read_end)
        os.waitpid(pid, 0)
    reads.append(uuid4_hex())
    assert len(set(reads)) == 3


def test_an_application_seeding_random_does_not_repeat_ids() -> None:
    """Reproducible runs (``random.seed``) must not resend the same event or trace ids."""
    import random

    runs = []
    for _ in range(2):
        random.seed(1234)
        with capture_envelopes(traces_sample_rate=1.0) as transport:
            event_id = scopetel.capture_message("seeded")
            with scopetel.start_transaction(name="seeded"):
                pass
            scopetel.flush()
        (transaction,) = transport.transactions()
        runs.append((event_id, transaction["event_id"], transaction["contexts"]["trace"]))
    first, second = runs
    assert first[0] != second[0] and first[1] != second[1]
    assert first[2]["trace_id"] != second[2]["trace_id"]
    assert first[2]["span_id"] != second[2]["span_id"]
