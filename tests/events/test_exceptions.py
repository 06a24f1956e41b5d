import errno
import sys
from collections.abc import Callable
from typing import Any

import pytest

from scopetel._events.exceptions import exc_info_from, exceptions_from_error
from scopetel._events.stacktrace import FrameOptions
from tests.events.fixtures_events import assert_valid_exceptions, qualified

OPTIONS = FrameOptions()


def caught(function: Callable[[], object]) -> BaseException:
    try:
        function()
    except BaseException as error:
        return error
    raise AssertionError("did not raise")


def values_of(error: BaseException, **kwargs: Any) -> list[dict[str, Any]]:
    values = exceptions_from_error(error, OPTIONS, **kwargs)
    assert_valid_exceptions(values)  # type: ignore[arg-type]
    return values  # type: ignore[return-value]


def summary(values: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(type, value, exception_id, parent_id, source, mechanism type) of each value."""
    return [
        (
            value["type"],
            value["value"],
            value["mechanism"].get("exception_id"),
            value["mechanism"].get("parent_id"),
            value["mechanism"].get("source"),
            value["mechanism"]["type"],
        )
        for value in values
    ]


class PaymentError(Exception):
    pass


def test_single_exception() -> None:
    def fail() -> None:
        raise ZeroDivisionError("division by zero")

    values = values_of(caught(fail))
    assert len(values) == 1
    (value,) = values
    assert value["type"] == "ZeroDivisionError"
    assert value["value"] == "division by zero"
    assert "module" not in value
    assert value["mechanism"] == {"type": "generic", "handled": True}
    functions = [qualified(frame) for frame in value["stacktrace"]["frames"]]
    assert functions == ["caught", "test_single_exception.<locals>.fail"]


def test_custom_exception_type_module_and_mechanism() -> None:
    def fail() -> None:
        raise PaymentError("card declined")

    (value,) = values_of(caught(fail), mechanism_type="excepthook", handled=False)
    assert value["type"] == "PaymentError"
    assert value["module"] == "tests.events.test_exceptions"
    assert value["mechanism"] == {"type": "excepthook", "handled": False}


def test_explicit_cause_comes_first() -> None:
    def fail() -> None:
        try:
            raise KeyError("missing")
        except KeyError as error:
            raise PaymentError("lookup failed") from error

    values = values_of(caught(fail), mechanism_type="django", handled=False)
    assert summary(values) == [
        ("KeyError", "'missing'", None, None, None, "django"),
        ("PaymentError", "lookup failed", None, None, None, "django"),
    ]
    assert all(value["mechanism"]["handled"] is False for value in values)
    assert values[0]["stacktrace"]["frames"][-1]["context_line"].strip() == (
        'raise KeyError("missing")'
    )


def test_implicit_context() -> None:
    def fail() -> None:
        try:
            {}["x"]
        except KeyError:
            raise ValueError("handling")  # noqa: B904

    values = values_of(caught(fail))
    assert summary(values) == [
        ("KeyError", "'x'", None, None, None, "generic"),
        ("ValueError", "handling", None, None, None, "generic"),
    ]


def test_suppressed_context_is_left_out() -> None:
    def fail() -> None:
        try:
            {}["x"]
        except KeyError:
            raise ValueError("clean") from None

    values = values_of(caught(fail))
    assert summary(values) == [("ValueError", "clean", None, None, None, "generic")]


def test_cause_wins_over_context() -> None:
    def fail() -> None:
        try:
            raise OSError("first")
        except OSError:
            raise TypeError("second") from RuntimeError("cause")

    values = values_of(caught(fail))
    assert [value["type"] for value in values] == ["RuntimeError", "TypeError"]
    assert "stacktrace" not in values[0]  # the cause was never raised


def test_long_chain_order() -> None:
    def fail() -> None:
        try:
            try:
                raise KeyError("a")
            except KeyError as first:
                raise ValueError("b") from first
        except ValueError:
            raise RuntimeError("c")  # noqa: B904

    values = values_of(caught(fail))
    assert summary(values) == [
        ("KeyError", "'a'", None, None, None, "generic"),
        ("ValueError", "b", None, None, None, "generic"),
        ("RuntimeError", "c", None, None, None, "generic"),
    ]


def test_cycles_terminate() -> None:
    first = ValueError("first")
    second = KeyError("second")
    first.__context__ = second
    second.__context__ = first
    assert [value["type"] for value in values_of(first)] == ["KeyError", "ValueError"]

    selfish = RuntimeError("me")
    selfish.__cause__ = selfish
    assert summary(values_of(selfish)) == [("RuntimeError", "me", None, None, None, "generic")]


def test_chains_are_bounded() -> None:
    error: BaseException = ValueError("0")
    for number in range(1, 60):
        nxt = ValueError(str(number))
        nxt.__cause__ = error
        error = nxt
    values = values_of(error)
    assert len(values) == 25
    assert values[-1]["value"] == "59"
    assert values[0]["value"] == "35"
    assert [value["value"] for value in values] == [str(n) for n in range(35, 60)]
    assert len(values_of(error, max_exceptions=3)) == 3


def _raised(error: BaseException) -> BaseException:
    return caught(lambda: (_ for _ in ()).throw(error))


def test_nested_exception_groups() -> None:
    def fail() -> None:
        inner = ExceptionGroup("inner", [_raised(TypeError("b")), KeyError("c")])
        raise ExceptionGroup("outer", [_raised(ValueError("a")), inner])

    values = values_of(caught(fail))
    assert summary(values) == [
        ("KeyError", "'c'", 4, 2, "exceptions[1]", "chained"),
        ("TypeError", "b", 3, 2, "exceptions[0]", "chained"),
        ("ExceptionGroup", "inner", 2, 0, "exceptions[1]", "chained"),
        ("ValueError", "a", 1, 0, "exceptions[0]", "chained"),
        ("ExceptionGroup", "outer", 0, None, None, "generic"),
    ]
    groups = [value["mechanism"].get("is_exception_group") for value in values]
    assert groups == [None, None, True, None, True]
    assert "stacktrace" in values[1]  # TypeError was raised
    assert "stacktrace" not in values[0]  # KeyError never was
    assert "stacktrace" not in values[2]  # inner group was never raised itself
    assert qualified(values[-1]["stacktrace"]["frames"][-1]) == (
        "test_nested_exception_groups.<locals>.fail"
    )


def test_single_group_without_members_chain_has_ids() -> None:
    group = BaseExceptionGroup("only", [KeyboardInterrupt()])
    values = values_of(group)
    assert values[-1]["mechanism"] == {
        "type": "generic",
        "handled": True,
        "exception_id": 0,
        "is_exception_group": True,
    }
    assert values[0]["type"] == "KeyboardInterrupt"
    assert values[-1]["type"] == "BaseExceptionGroup"


def test_group_with_context_and_shared_member() -> None:
    shared = ValueError("shared")

    def fail() -> None:
        try:
            raise OSError("before")
        except OSError:
            raise ExceptionGroup("g", [shared, ExceptionGroup("h", [shared])])  # noqa: B904

    values = values_of(caught(fail))
    assert summary(values) == [
        ("ExceptionGroup", "h", 3, 0, "exceptions[1]", "chained"),
        ("ValueError", "shared", 2, 0, "exceptions[0]", "chained"),
        ("OSError", "before", 1, 0, "__context__", "chained"),
        ("ExceptionGroup", "g", 0, None, None, "generic"),
    ]


def test_except_star_groups() -> None:
    def fail() -> None:
        try:
            raise ExceptionGroup("many", [ValueError(n) for n in range(40)])
        except* ValueError as group:
            raise RuntimeError("handled some") from group

    values = values_of(caught(fail))
    assert len(values) == 25
    assert values[-1]["type"] == "RuntimeError"
    assert values[-2]["mechanism"]["source"] == "__cause__"
    # a group below the raised exception makes the list a tree (ids, chained members)
    assert values[-1]["mechanism"] == {"type": "generic", "handled": True, "exception_id": 0}
    assert {value["mechanism"]["type"] for value in values[:-1]} == {"chained"}
    assert values[-2]["mechanism"]["is_exception_group"] is True


class BrokenStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class HostileAttributes(Exception):
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {name}")


def test_hostile_exceptions() -> None:
    (value,) = values_of(caught(lambda: _throw(BrokenStr())))
    assert value["value"] == "<unprintable BrokenStr object>"
    (value,) = values_of(caught(lambda: _throw(HostileAttributes("ok"))))
    assert value["value"] == "ok"
    long_message = "m" * 100_000
    (value,) = values_of(ValueError(long_message))
    assert len(value["value"]) == OPTIONS.max_value_length  # the option, as sentry_sdk
    assert value["value"].endswith("...")


def _throw(error: BaseException) -> None:
    raise error


def test_notes_are_appended() -> None:
    error = ValueError("base")
    error.add_note("first note")
    error.add_note("second note")
    (value,) = values_of(error)
    assert value["value"] == "base\nfirst note\nsecond note"


def test_exception_that_was_never_raised() -> None:
    (value,) = values_of(PaymentError("created only"))
    assert "stacktrace" not in value
    assert value["value"] == "created only"


def test_oserror_errno() -> None:
    error = FileNotFoundError(errno.ENOENT, "No such file or directory")
    (value,) = values_of(error)
    assert value["mechanism"]["meta"] == {"errno": {"number": errno.ENOENT}}
    assert value["type"] == "FileNotFoundError"


def test_undecodable_texts_stay_encodable() -> None:
    name = b"caf\xe9".decode("utf-8", "surrogateescape")
    (value,) = values_of(ValueError(f"bad name {name}"))
    assert value["value"] == "bad name caf\\udce9"
    value["value"].encode("utf-8")


def test_recursion_error_is_bounded() -> None:
    def recurse() -> None:
        recurse()

    values = values_of(caught(recurse))
    (value,) = values
    assert value["type"] == "RecursionError"
    assert len(value["stacktrace"]["frames"]) == 100


def test_not_an_exception() -> None:
    assert exceptions_from_error("oops", OPTIONS) == []  # type: ignore[arg-type]


def test_exc_info_from() -> None:
    error = ValueError("explicit")
    assert exc_info_from(error) is error
    assert exc_info_from((ValueError, error, None)) is error
    assert exc_info_from(None) is None
    assert exc_info_from(True) is None
    assert exc_info_from(False) is None
    assert exc_info_from((None, None, None)) is None
    assert exc_info_from(("a", "b")) is None
    try:
        raise KeyError("current")
    except KeyError as current:
        assert exc_info_from(None) is current
        assert exc_info_from(True) is current
        assert exc_info_from(sys.exc_info()) is current
        assert exc_info_from(False) is None
        assert exc_info_from(error) is error


@pytest.mark.parametrize("include_vars", [True, False])
def test_options_reach_frames(include_vars: bool) -> None:
    def fail() -> None:
        secret = "value"
        raise ValueError(secret)

    options = FrameOptions(include_local_variables=include_vars, include_source_context=False)
    (value,) = exceptions_from_error(caught(fail), options)
    last = value["stacktrace"]["frames"][-1]  # type: ignore[index, call-overload]
    assert ("vars" in last) is include_vars
    assert "context_line" not in last
