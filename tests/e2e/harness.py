"""Launching applications under a real ``opentelemetry-instrument``, configured only by
environment variables, and a loopback HTTP server that records request headers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

BIN = Path(sys.executable).parent
INSTRUMENT = BIN / "opentelemetry-instrument"
APPS = Path(__file__).parent / "apps"
_DROPPED_PREFIXES = ("OTEL_", "SENTRY_", "SCOPETEL_")
_PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def app_env(**settings: str) -> dict[str, str]:
    """A clean environment: no inherited OTEL_/SENTRY_/proxy variables, the venv first on
    PATH, fast OTLP batches, scopetel's internal errors raised; then ``settings``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_DROPPED_PREFIXES)
        and key.lower() not in _PROXIES
        and key != "PYTHONPATH"
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    env["SCOPETEL_RAISE_INTERNAL_ERRORS"] = "1"
    env["OTEL_BSP_SCHEDULE_DELAY"] = "100"
    env.update(settings)
    return env


def run_script(
    script: str, *args: str, env: Mapping[str, str], timeout: float = 20.0
) -> subprocess.CompletedProcess[str]:
    """``opentelemetry-instrument python apps/<script> args…``, to completion."""
    command = [str(INSTRUMENT), sys.executable, str(APPS / script), *args]
    return subprocess.run(
        command, cwd=APPS, env=dict(env), capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A long-running command (a web server) in its own process group, killed on exit.

    It is ready when it accepts connections on ``port``, or, for a process that listens on
    none (a queue worker), when ``ready(output)`` holds for what it has printed so far.
    """

    def __init__(
        self,
        command: list[str],
        env: Mapping[str, str],
        port: int,
        log: Path,
        *,
        cwd: Path = APPS,
        ready: Callable[[str], bool] | None = None,
        start_timeout: float = 15.0,
    ) -> None:
        self.command = command
        self.env = dict(env)
        self.port = port
        self.log_path = log
        self.cwd = cwd
        self._ready = ready
        self._start_timeout = start_timeout
        self._log: IO[str] | None = None
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Server:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            if self._is_ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"server did not get ready:\n{self.output()}")

    def _is_ready(self) -> bool:
        if self._ready is not None:
            return self._ready(self.output())
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 8.0) -> int | None:
        """SIGTERM the process group (graceful), SIGKILL it after ``timeout``."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        return process.returncode

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()

    def output(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text() if self.log_path.exists() else ""


class _HeaderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HeaderHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner.record(self.path, {k.lower(): v for k, v in self.headers.items()})
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _HeaderHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: HeaderServer


class HeaderServer:
    """Answers every GET with 200 and records its path and (lowercased) headers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = _HeaderHTTPServer(("127.0.0.1", 0), _HeaderHandler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, headers))

    def headers_for(self, path: str) -> dict[str, str]:
        with self._lock:
            matches = [headers for seen, headers in self.requests if seen == path]
        assert len(matches) == 1, f"{len(matches)} requests to {path}: {self.requests}"
        return matches[0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HeaderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
