"""Our profile chunks against the one sentry-sdk 2.75 sent (shared reference envelopes),
field by field, and against what Relay's chunk reader (``sample::v2``) requires."""

import json
import re
import threading
from typing import Any

import pytest

import scopetel
from scopetel._profiling.profiler import Profiler
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import functions, init, samples_of, spin, wait_for_chunks
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

SAMPLE = REFERENCE_DIR / "classic-09.envelope"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="reference envelopes absent")
HEX32 = re.compile(r"[0-9a-f]{32}")


def _reference() -> tuple[dict[str, Any], dict[str, Any]]:
    _, item_header, payload = SAMPLE.read_text().splitlines()[:3]
    return json.loads(item_header), json.loads(payload)


@pytest.fixture
def ours(receiver: SentryReceiver) -> tuple[dict[str, Any], dict[str, Any]]:
    init(receiver, profile_session_sample_rate=1.0, environment="production")
    start_profiler()
    done = threading.Event()
    worker = threading.Thread(target=done.wait, name="worker")  # an idle thread
    worker.start()
    spin(0.4)
    done.set()
    worker.join()
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    (item,) = receiver.items("profile_chunk")
    return item.headers, chunk


def test_item_header_matches(ours: tuple[dict[str, Any], dict[str, Any]]) -> None:
    header, _ = ours
    reference_header, _ = _reference()
    assert set(header) == set(reference_header)
    for key in ("platform", "type", "content_type"):
        assert header[key] == reference_header[key]
    assert header["length"] > 0


def test_top_level_fields_match(ours: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, chunk = ours
    _, reference = _reference()
    assert list(chunk) == list(reference)  # same fields, same order
    for key in ("platform", "version", "environment"):
        assert chunk[key] == reference[key]
    assert chunk["release"] == "prof@1"
    assert HEX32.fullmatch(chunk["chunk_id"]) and HEX32.fullmatch(chunk["profiler_id"])
    assert set(chunk["client_sdk"]) == set(reference["client_sdk"])
    assert chunk["client_sdk"] == {"name": "scopetel.python", "version": scopetel.__version__}
    assert list(chunk["profile"]) == list(reference["profile"])


def test_frames_stacks_samples_and_threads_match(
    ours: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, chunk = ours
    _, reference = _reference()
    profile, theirs = chunk["profile"], reference["profile"]
    reference_keys = set().union(*(frame.keys() for frame in theirs["frames"]))
    types = {"abs_path": str, "module": str, "filename": str, "function": str}
    types |= {"lineno": int, "in_app": bool}
    for frame in profile["frames"]:
        assert set(frame) <= reference_keys
        assert {"function", "in_app"} <= set(frame)
        for key, value in frame.items():
            assert isinstance(value, types[key]), (key, value)
    for stack in profile["stacks"]:
        assert stack and all(0 <= index < len(profile["frames"]) for index in stack)
    reference_sample = theirs["samples"][0]
    timestamps = []
    for sample in profile["samples"]:
        assert set(sample) == set(reference_sample)
        assert isinstance(sample["timestamp"], float)
        assert isinstance(sample["thread_id"], str) and sample["thread_id"].isdigit()
        assert 0 <= sample["stack_id"] < len(profile["stacks"])
        timestamps.append(sample["timestamp"])
    assert timestamps == sorted(timestamps)
    # every thread named was sampled; a thread is named unless it ended before its name
    # could be read (a pass without the GIL sampled it last): the main thread is
    sampled = {s["thread_id"] for s in profile["samples"]}
    assert str(threading.get_ident()) in profile["thread_metadata"]
    assert set(profile["thread_metadata"]) <= sampled
    for metadata in profile["thread_metadata"].values():
        assert set(metadata) == set(next(iter(theirs["thread_metadata"].values())))


def test_stacks_are_innermost_first_as_in_the_reference(
    ours: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, chunk = ours
    _, reference = _reference()
    # the reference's main thread spins in busy() called from <module>
    reference_main = next(
        s for s in reference["profile"]["samples"] if "busy" in functions(reference, s["stack_id"])
    )
    assert functions(reference, reference_main["stack_id"])[-1] == "<module>"
    spinning = samples_of(chunk, str(threading.get_ident()))
    stacks = [functions(chunk, s["stack_id"]) for s in spinning]
    assert any(stack[0] == "spin" for stack in stacks)
    # the fixture called spin(): it is further out
    assert all(stack.index("spin") < stack.index("ours") for stack in stacks if "spin" in stack)
    assert all(stack[-1] == "<module>" for stack in stacks)  # pytest's own entry point


def test_the_profiler_leaves_its_own_thread_out(
    ours: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, chunk = ours
    # (the main thread may be sampled inside start_profiler() or stop_profiler(): the
    # first pass comes at once, the last while stop() waits for it)
    functions = {f["function"] for f in chunk["profile"]["frames"]}
    sampling = {
        function.__code__.co_qualname
        for function in (Profiler._run, Profiler._step, Profiler._detached_step)
    }
    assert "Profiler._run" in sampling  # (on every stack of the profiler's thread)
    assert not functions & sampling
