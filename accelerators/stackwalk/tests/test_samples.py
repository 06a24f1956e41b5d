"""``encode_samples``: a chunk's columns as the JSON array of samples Sentry reads, the
same samples the dicts it replaces give (timestamps to the microsecond), and an error,
never a crash or bad JSON, for columns it cannot encode."""

import gc
import json
import math
from typing import Any

import orjson
import pytest
import scopetel_stackwalk
from hypothesis import given, settings
from hypothesis import strategies as st


def encode() -> Any:
    if scopetel_stackwalk.encode_samples is None:
        pytest.skip("built without the C extension")
    return scopetel_stackwalk.encode_samples


def as_dicts(
    timestamps: list[float], threads: list[int], stacks: list[int], tasks: list[str | None]
) -> list[dict[str, Any]]:
    """What the chunk made before: a dict a sample."""
    samples: list[dict[str, Any]] = []
    for timestamp, thread, stack, task in zip(timestamps, threads, stacks, tasks, strict=True):
        sample: dict[str, Any] = {
            "timestamp": timestamp,
            "thread_id": str(thread),
            "stack_id": stack,
        }
        if task is not None:
            sample["task_name"] = task
        samples.append(sample)
    return samples


def task_json(tasks: list[str | None]) -> dict[str, bytes]:
    return {task: orjson.dumps(task) for task in tasks if task is not None}


columns = st.integers(0, 40).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.one_of(
                st.floats(0, 9e9, exclude_max=True),  # epoch seconds: to the microsecond
                st.floats(allow_nan=False, allow_infinity=False),  # anything else: as repr()
            ),
            min_size=n,
            max_size=n,
        ),
        st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 2**63 - 1), min_size=n, max_size=n),
        st.lists(
            st.none() | st.text(st.characters(exclude_categories=["Cs"])), min_size=n, max_size=n
        ),
    )
)


@settings(max_examples=300, deadline=None)
@given(columns)
def test_the_samples_are_those_the_dicts_give(
    given_columns: tuple[list[float], list[int], list[int], list[str | None]],
) -> None:
    timestamps, threads, stacks, tasks = given_columns
    text = encode()(timestamps, threads, stacks, tasks, task_json(tasks))
    decoded = json.loads(text)
    expected = as_dicts(timestamps, threads, stacks, tasks)
    assert [list(sample) for sample in decoded] == [
        list(sample) for sample in expected
    ]  # key order
    for ours, theirs in zip(decoded, expected, strict=True):
        assert {**ours, "timestamp": 0} == {**theirs, "timestamp": 0}
        if 0 <= theirs["timestamp"] < 9e9:  # the microsecond, and the float nearest to it
            tolerance = 5e-7 + math.ulp(theirs["timestamp"])
            assert abs(ours["timestamp"] - theirs["timestamp"]) <= tolerance
        else:
            assert ours["timestamp"] == theirs["timestamp"]


def test_a_chunks_worth_of_epoch_timestamps_keeps_each_to_the_microsecond() -> None:
    start = 1_796_575_794.450382
    timestamps = [start + i * 0.0099 for i in range(60_000)]
    text = encode()(timestamps, [7] * 60_000, [1] * 60_000, [None] * 60_000, {})
    decoded = json.loads(text)
    assert len(decoded) == 60_000
    assert (
        max(abs(s["timestamp"] - t) for s, t in zip(decoded, timestamps, strict=True))
        <= 5e-7 + 2.4e-7
    )
    assert [s["timestamp"] for s in decoded] == sorted(s["timestamp"] for s in decoded)
    assert text.startswith(b'[{"timestamp":1796575794.450382,"thread_id":"7","stack_id":1}')


@pytest.mark.parametrize(
    ("timestamps", "threads", "stacks", "tasks", "names", "error"),
    [
        ([1], [1], [1], [None], {}, TypeError),  # an int timestamp
        ([math.nan], [1], [1], [None], {}, ValueError),
        ([math.inf], [1], [1], [None], {}, ValueError),
        ([1.0], [-1], [1], [None], {}, OverflowError),
        ([1.0], [2**64], [1], [None], {}, OverflowError),
        ([1.0], [1], [-1], [None], {}, ValueError),
        ([1.0], [1], [None], [None], {}, TypeError),  # a sample dropped but not removed
        ([1.0], [1], [1], ["task"], {}, KeyError),  # a name not encoded
        ([1.0], [1], [1], ["task"], {"task": "text"}, KeyError),
        ([1.0, 2.0], [1], [1], [None], {}, ValueError),
        ((1.0,), [1], [1], [None], {}, TypeError),
    ],
)
def test_what_it_cannot_encode_is_an_error(
    timestamps: Any, threads: Any, stacks: Any, tasks: Any, names: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        encode()(timestamps, threads, stacks, tasks, names)


def test_no_samples_is_an_empty_array() -> None:
    assert encode()([], [], [], [], {}) == b"[]"


def test_columns_untracked_are_left_out_of_full_collections_and_still_work() -> None:
    if scopetel_stackwalk.untrack_columns is None:
        pytest.skip("built without the C extension")
    columns: list[list[Any]] = [[], [], [1, None, "a", 2.5]]
    scopetel_stackwalk.untrack_columns(*columns)
    assert not any(gc.is_tracked(column) for column in columns)
    columns[0].extend(float(i) for i in range(10_000))
    columns[1].append(None)
    del columns[0][5:]
    gc.collect()
    assert columns == [[0.0, 1.0, 2.0, 3.0, 4.0], [None], [1, None, "a", 2.5]]
    assert not any(gc.is_tracked(column) for column in columns)
    # the collector's lists (what a full collection traverses) do not hold them
    visited = {id(found) for found in gc.get_objects()}
    assert not any(id(column) in visited for column in columns)


@pytest.mark.parametrize("bad", [([[]],), ([{}],), ((1.0,),), ({},), ([object()],)])
def test_only_lists_of_numbers_and_strings_are_untracked(bad: tuple[Any, ...]) -> None:
    if scopetel_stackwalk.untrack_columns is None:
        pytest.skip("built without the C extension")
    with pytest.raises(TypeError):
        scopetel_stackwalk.untrack_columns(*bad)
    assert all(gc.is_tracked(column) for column in bad if isinstance(column, list))
