"""The whole pipeline against a real loopback Sentry endpoint: scopetel's API →
segment processor → envelopes → HTTP transport → a strict receiver."""

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import scopetel
from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import Reply, SentryReceiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as server:
        yield server
        assert server.errors == []
        for payload in server.events() + server.transactions():
            assert_valid_event(payload)


def _init(receiver: SentryReceiver, **options: object) -> None:
    scopetel.init(
        dsn=receiver.dsn,
        traces_sample_rate=1.0,
        release="pipe@1",
        default_integrations=False,
        **options,
    )


def test_transactions_and_errors_arrive_strictly_valid(receiver) -> None:
    _init(receiver)
    with scopetel.start_transaction(name="order", op="task") as root:
        with scopetel.start_span(op="db", name="insert"):
            scopetel.capture_exception(ValueError("card declined"))
    assert scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.transactions() and receiver.events())
    (transaction,) = receiver.transactions()
    (event,) = receiver.events()
    assert transaction["contexts"]["trace"]["span_id"] == root.span_id
    assert event["contexts"]["trace"]["trace_id"] == root.trace_id
    envelope = next(e for e in receiver.envelopes if e.items[0].type == "transaction")
    assert envelope.gzipped
    assert envelope.headers["trace"]["trace_id"] == root.trace_id


def test_child_ending_after_its_root_is_in_the_transaction(receiver) -> None:
    _init(receiver)
    started = threading.Event()
    release = threading.Event()

    def background(parent: scopetel.Span) -> None:
        child = parent.start_child(op="background", name="late child")
        started.set()
        release.wait(5)
        child.finish()

    with scopetel.start_transaction(name="early root") as root:
        thread = threading.Thread(target=background, args=(root,))
        thread.start()
        started.wait(5)
    time.sleep(0.1)  # the root has ended; its child is still open
    assert receiver.transactions() == []
    release.set()
    thread.join()
    assert scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.transactions())
    spans = receiver.transactions()[0]["spans"]
    assert [span["description"] for span in spans] == ["late child"]
    assert spans[0]["timestamp"] > receiver.transactions()[0]["timestamp"]


def test_ten_thousand_children_are_capped_and_the_overflow_is_reported(receiver) -> None:
    _init(receiver)
    with scopetel.start_transaction(name="huge"):
        for index in range(10_000):
            with scopetel.start_span(op="step", name=f"step {index}"):
                pass
    assert scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.discarded("buffer_overflow", "span") == 9_000)
    (transaction,) = receiver.transactions()
    assert len(transaction["spans"]) == 1_000


def test_rate_limited_category_stops_alone_and_drops_are_reported(receiver) -> None:
    _init(receiver)
    receiver.reply(Reply(429, {"X-Sentry-Rate-Limits": "60:transaction:organization"}))
    with scopetel.start_transaction(name="first"):
        pass
    assert scopetel.flush(timeout=5.0)
    for index in range(3):
        with scopetel.start_transaction(name=f"limited {index}"):
            pass
        scopetel.capture_message(f"error {index}")
    assert scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: len(receiver.events()) == 3)
    # the one answered 429, and the three never sent while the limit holds
    receiver.wait_for(lambda: receiver.discarded("ratelimit_backoff", "transaction") == 4)
    assert receiver.transactions() == []


def test_a_hanging_backend_never_blocks_the_app_and_exit_stays_bounded(tmp_path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            import scopetel
            scopetel.init(dsn=sys.argv[1], traces_sample_rate=1.0, shutdown_timeout=1.0,
                          default_integrations=False)
            start = time.monotonic()
            for i in range(50):
                with scopetel.start_transaction(name=f"t{i}"):
                    scopetel.capture_message(f"m{i}")
            print(f"app-time {time.monotonic() - start:.3f}", flush=True)
            """
        )
    )
    with SentryReceiver() as hanging:
        hanging.default = Reply(hang=20.0)
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script), hanging.dsn],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
        elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    app_time = float(result.stdout.split("app-time ")[1])
    assert app_time < 2.0  # 100 captures never waited for the backend
    assert elapsed < 8.0  # exit: shutdown_timeout=1s, never the backend's 20s


def test_exit_is_bounded_by_shutdown_timeout_even_with_slow_hooks(tmp_path) -> None:
    """Open transactions are emitted at exit through user hooks, within shutdown_timeout."""
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            import scopetel

            def slow(event, hint):
                time.sleep(2.0)
                return event

            scopetel.init(dsn=sys.argv[1], traces_sample_rate=1.0, shutdown_timeout=1.0,
                          before_send_transaction=slow, default_integrations=False)
            kept = []
            for i in range(3):
                with scopetel.start_transaction(name=f"t{i}"):
                    kept.append(scopetel.start_span(op="never.finished"))
            """
        )
    )
    with SentryReceiver() as receiver:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script), receiver.dsn],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
        elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    assert "shutdown_timeout expired" in result.stderr
    assert elapsed < 5.0  # 3 hooks of 2 s each would take 6 s
