"""``scopetel serve`` as a real process: start-up lines, signals, exit codes, usage errors."""

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from scopetel_exporter_sentry.envelope import Envelope, Item
from scopetel_exporter_sentry.transport import HttpTransport

SCOPETEL = str(Path(sys.executable).parent / "scopetel")
ENV = os.environ | {"PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
ANSI = re.compile(r"\x1b\[")


class ServeProcess:
    """``scopetel serve ...`` with its stdout read line by line on a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [SCOPETEL, "serve", *args],
            cwd=cwd,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if match := re.search(pattern, line):
                    return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r} in {self.lines}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited without {pattern!r}: {self.lines} {self.stderr()}")
            self.lines.append(line)

    def finish(self, timeout: float = 10.0) -> int:
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(line)
        return code

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess("--port", "0", "--jsonl", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    yield process
    process.kill()


def run(*args: str, cwd: Path, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCOPETEL, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout
    )


def test_start_receive_and_stop_on_sigterm(serve: ServeProcess, tmp_path: Path) -> None:
    port = int(serve.wait_for(r"^scopetel serve listening on http://127\.0\.0\.1:(\d+)$")[1])
    assert port > 0
    dsn = serve.wait_for(r"^  Sentry DSN:   (\S+)$")[1]
    assert dsn == f"http://scopetel@127.0.0.1:{port}/1"
    endpoint = serve.wait_for(r"^  OTLP traces:  (\S+)")[1]
    assert endpoint == f"http://127.0.0.1:{port}/v1/traces"
    serve.wait_for(rf"^  JSON lines:   {re.escape(str(tmp_path / 'out.jsonl'))}$")

    transport = HttpTransport(dsn)
    envelope = Envelope()
    payload = {"transaction": "nightly", "start_timestamp": 10.0, "timestamp": 10.5}
    payload["contexts"] = {"trace": {"trace_id": "ab" * 16, "span_id": "cd" * 8, "op": "task"}}
    envelope.add(Item.from_json("transaction", payload))
    transport.capture_envelope(envelope)
    assert transport.flush(5.0)
    transport.close(1.0)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    with provider.get_tracer("t").start_as_current_span("otlp-span"):
        pass
    provider.shutdown()

    serve.wait_for(r'^transaction "nightly" · 500\.0 ms · 1 span · trace (ab){16}$')
    serve.wait_for(r"^  task  nightly  500\.0 ms$")
    serve.wait_for(r"^  internal  otlp-span  ")
    serve.process.send_signal(signal.SIGTERM)
    assert serve.finish() == 0
    assert serve.lines[-1] == "scopetel serve stopped; received 1 otlp_span, 1 transaction"
    assert not ANSI.search(serve.text)
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in (tmp_path / "out.jsonl").open()]
    assert kinds == ["transaction", "otlp_span"]


def test_ctrl_c_stops_cleanly(serve: ServeProcess) -> None:
    serve.wait_for(r"^Press Ctrl-C to stop\.$")
    serve.process.send_signal(signal.SIGINT)
    assert serve.finish() == 0
    assert serve.lines[-1] == "scopetel serve stopped; received nothing"
    assert "Traceback" not in serve.stderr()


def test_exit_after_stops_by_itself(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run("serve", "--port", "0", "--no-jsonl", "--exit-after", "0.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    assert "  JSON lines:   (off)" in result.stdout
    assert "Stopping after 0.5 s." in result.stdout
    assert result.stdout.endswith("scopetel serve stopped; received nothing\n")
    assert list(tmp_path.iterdir()) == []


def test_default_jsonl_file_is_in_the_working_directory(tmp_path: Path) -> None:
    result = run("serve", "--port", "0", "--exit-after", "0.2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"  JSON lines:   {tmp_path / 'scopetel-serve.jsonl'}" in result.stdout
    assert (tmp_path / "scopetel-serve.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "usage: scopetel"),
        (("serve", "--port", "70000"), "port must be between 0 and 65535"),
        (("serve", "--port", "http"), "not a port number"),
        (("serve", "--exit-after", "-1"), "must be a positive number"),
        (("serve", "--bogus"), "unrecognized arguments: --bogus"),
        (("serve", "--host", "192.0.2.1"), "not a loopback address"),
        (("serve", "--host", "no-such-host.invalid"), "cannot resolve host"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_port_in_use_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), "--no-jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert f"scopetel serve: cannot listen on 127.0.0.1:{port}: Address already in use" in (
        result.stderr
    )


def test_unwritable_jsonl_exits_1(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = run("serve", "--port", "0", "--jsonl", "file/events.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert "scopetel serve: cannot write " in result.stderr and "file" in result.stderr


def test_help_and_version(tmp_path: Path) -> None:
    result = run("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--exit-after SECONDS" in result.stdout and "/v1/traces" in result.stdout
    assert run("--version", cwd=tmp_path).stdout.startswith("scopetel ")


def test_color_always_paints_and_quiet_hides_items(tmp_path: Path) -> None:
    process = ServeProcess("--port", "0", "--no-jsonl", "--color", "always", cwd=tmp_path)
    try:
        dsn = process.wait_for(r"^  Sentry DSN:   (\S+)$")[1]
        transport = HttpTransport(dsn)
        envelope = Envelope()
        envelope.add(Item.from_json("event", {"exception": {"values": [{"type": "E"}]}}))
        transport.capture_envelope(envelope)
        assert transport.flush(5.0)
        transport.close(1.0)
        line = process.wait_for(r"error E").string
        assert line.startswith("\x1b[31merror E\x1b[0m")
    finally:
        process.kill()
