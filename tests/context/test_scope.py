"""Scope forks are copy-on-write: each side's changes stay invisible to the other."""

from scopetel import Scope
from scopetel._context.scope import ScopeData


def test_copy_carries_every_field() -> None:
    data = ScopeData()
    data.tags["t"] = "1"
    data.level = "warning"
    data.fingerprint = ["f"]
    data.transaction_name = "name"
    copied = data.copy()
    for field in ScopeData.__slots__:
        assert getattr(copied, field) == getattr(data, field), field


def test_fork_is_copy_on_write_both_ways() -> None:
    parent = Scope("isolation")
    parent.set_tag("shared", "yes")
    child = parent.fork()
    child.set_tag("child", "only")
    parent.set_tag("parent", "only")
    assert child.data.tags == {"shared": "yes", "child": "only"}
    assert parent.data.tags == {"shared": "yes", "parent": "only"}


def test_breadcrumbs_are_bounded_per_scope() -> None:
    scope = Scope()
    for index in range(5):
        scope.add_breadcrumb_data({"message": str(index)}, max_breadcrumbs=3)
    assert [crumb["message"] for crumb in scope.data.breadcrumbs] == ["2", "3", "4"]
