"""Uncaught exceptions: unhandled error events that arrive before the process exits."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from scopetel_instrumentation_stdlib.excepthook import ExcepthookInstrumentor
from stdlib_support import capturing, instrumented, uninstrumented

from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver

ROOT = Path(__file__).resolve().parents[3]


def _run(tmp_path: Path, receiver: SentryReceiver, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(source))
    env = {
        "PATH": "/usr/bin:/bin",
        "SENTRY_DSN": receiver.dsn,
        "SENTRY_SHUTDOWN_TIMEOUT": "5",
        "SCOPETEL_RAISE_INTERNAL_ERRORS": "1",
    }
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )


def _only_event(receiver: SentryReceiver) -> dict[str, Any]:
    receiver.wait_for(lambda: len(receiver.events()) >= 1)
    assert receiver.errors == []
    (event,) = receiver.events()
    assert_valid_event(event)
    return event


def test_an_uncaught_exception_is_sent_before_exit_and_still_printed(tmp_path: Path) -> None:
    with SentryReceiver() as receiver:
        result = _run(
            tmp_path,
            receiver,
            """
            import sys
            import scopetel

            def earlier_hook(exc_type, error, tb):
                print("earlier hook saw", exc_type.__name__, file=sys.stderr)
                sys.__excepthook__(exc_type, error, tb)

            sys.excepthook = earlier_hook
            scopetel.init(release="crash@1")
            scopetel.set_tag("stage", "boot")

            def explode():
                raise RuntimeError("boom at startup")

            explode()
            """,
        )
        assert result.returncode == 1
        assert "earlier hook saw RuntimeError" in result.stderr
        assert "Traceback (most recent call last)" in result.stderr
        assert "RuntimeError: boom at startup" in result.stderr
        event = _only_event(receiver)
    (value,) = event["exception"]["values"]
    assert value["type"] == "RuntimeError" and value["value"] == "boom at startup"
    assert value["mechanism"] == {"type": "excepthook", "handled": False}
    assert value["stacktrace"]["frames"][-1]["function"] == "explode"
    assert event["tags"] == {"stage": "boot"} and event["release"] == "crash@1"


def test_an_exception_ending_a_thread_is_sent_with_the_threads_scope(tmp_path: Path) -> None:
    with SentryReceiver() as receiver:
        result = _run(
            tmp_path,
            receiver,
            """
            import threading
            import scopetel

            scopetel.init()

            def work():
                scopetel.set_tag("in", "thread")
                raise ValueError("thread failed")

            with scopetel.isolation_scope():
                scopetel.set_tag("request", "r7")
                worker = threading.Thread(target=work, name="worker-7")
                worker.start()
                worker.join()
            print("main continues")
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "main continues"
        assert "Exception in thread worker-7" in result.stderr
        assert "ValueError: thread failed" in result.stderr
        event = _only_event(receiver)
    (value,) = event["exception"]["values"]
    assert value["mechanism"] == {"type": "threading", "handled": False}
    assert event["tags"] == {"request": "r7", "in": "thread"}
    assert event["contexts"]["thread"] == {"name": "worker-7"}


def test_uninstrument_restores_both_hooks() -> None:
    uninstrumented(ExcepthookInstrumentor())
    sys_hook, thread_hook = sys.excepthook, threading.excepthook
    with instrumented(ExcepthookInstrumentor()):
        assert sys.excepthook is not sys_hook
        assert threading.excepthook is not thread_hook
    assert sys.excepthook is sys_hook
    assert threading.excepthook is thread_hook


def test_a_hook_installed_after_ours_stays_and_ours_passes_through(capsys) -> None:
    uninstrumented(ExcepthookInstrumentor())
    original = sys.excepthook
    try:
        with capturing() as transport:
            with instrumented(ExcepthookInstrumentor()):
                ours = sys.excepthook

                def theirs(*exc_info: Any) -> None:
                    ours(*exc_info)

                sys.excepthook = theirs
            assert sys.excepthook is theirs
            error = LookupError("after uninstrument")
            sys.excepthook(LookupError, error, None)
        assert transport.events() == []
        assert "LookupError: after uninstrument" in capsys.readouterr().err
    finally:
        sys.excepthook = original


def test_keyboard_interrupt_is_not_reported(capsys) -> None:
    with capturing() as transport, instrumented(ExcepthookInstrumentor()):
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
        sys.excepthook(ZeroDivisionError, ZeroDivisionError("reported"), None)
    assert [event["exception"]["values"][0]["type"] for event in transport.events()] == [
        "ZeroDivisionError"
    ]
    assert "ZeroDivisionError: reported" in capsys.readouterr().err


@pytest.mark.parametrize("hook", ["sys", "threading"])
def test_the_same_exception_is_reported_once(hook: str, capsys, monkeypatch) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    error = OSError(5, "disk")
    with capturing() as transport, instrumented(ExcepthookInstrumentor()):
        for _ in range(2):
            if hook == "sys":
                sys.excepthook(OSError, error, None)
            else:
                args = threading.ExceptHookArgs((OSError, error, None, None))
                threading.excepthook(args)
    (event,) = transport.events()
    assert event["exception"]["values"][0]["mechanism"]["meta"] == {"errno": {"number": 5}}
