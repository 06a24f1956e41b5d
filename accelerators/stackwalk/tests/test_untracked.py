"""``untrack_weak_tuples``: tuples of weak references (without a callback) and strings
leave the cyclic garbage collector's care; the references still die with their
referents, and anything else is refused before anything is untracked."""

import gc
import weakref
from typing import Any

import pytest
import scopetel_stackwalk


def untrack() -> Any:
    if scopetel_stackwalk.untrack_weak_tuples is None:
        pytest.skip("built without the C extension")
    return scopetel_stackwalk.untrack_weak_tuples


class Node:
    """A referent that can be part of a cycle."""

    def __init__(self) -> None:
        self.self = self


def test_the_tuples_and_their_references_leave_full_collections() -> None:
    nodes = [Node() for _ in range(100)]
    tuples = [
        (weakref.ref(node), f"module.{index}", index, None) for index, node in enumerate(nodes)
    ]
    untrack()(tuples)
    gc.collect()
    tracked = {id(obj) for obj in gc.get_objects()}
    assert not any(id(t) in tracked or id(t[0]) in tracked for t in tuples)
    assert all(t[0]() is node for t, node in zip(tuples, nodes, strict=True))


def test_a_reference_untracked_is_cleared_when_its_referent_is_collected() -> None:
    node = Node()  # in a cycle: only the collector frees it
    entry = (weakref.ref(node), "m")
    untrack()([entry])
    del node
    gc.collect()
    assert entry[0]() is None


@pytest.mark.parametrize(
    "bad",
    [
        [(weakref.ref(Node(), lambda ref: None), "m")],  # a callback the collector follows
        [([], "m")],
        [(Node(),)],
        [[weakref.ref(Node())]],  # not a tuple
        "not a list",
    ],
)
def test_anything_else_is_refused_and_nothing_is_untracked(bad: Any) -> None:
    keeper = Node()
    good = (weakref.ref(keeper), "m")
    with pytest.raises(TypeError):
        untrack()([good, *bad] if isinstance(bad, list) else bad)
    assert gc.is_tracked(good[0])
