"""Real web servers for the web tests: gunicorn or uvicorn under ``opentelemetry-instrument``.

A server runs the test applications of ``apps/`` in its own process group, configured
only by environment variables, and reports to a :class:`SentryReceiver`. Its output is
kept, so tests can assert that no context error was ever logged.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

BIN = Path(sys.executable).parent
APPS = Path(__file__).parent / "apps"

CONTEXT_ERRORS = (
    "LookupError",
    "different Context",
    "Failed to detach context",
    "scopetel internal error",
    "Calling end() on an ended span",
    "Setting attribute on ended span",
)
"""Lines that must never appear in a server's output."""

_DROPPED = ("OTEL_", "SENTRY_", "SCOPETEL_", "DJANGO_", "APP_")


@dataclass(frozen=True)
class Setup:
    """One way of serving the test API: server, worker model, application, contrib or not."""

    name: str
    server: str  # "gunicorn", "uvicorn" or "aiohttp" (``python -m aiohttp.web``)
    app: str
    framework: str  # "django", "starlette", "wsgi", "asgi", "aiohttp"
    worker: str = "gthread"  # gunicorn worker class
    contrib: bool = True  # contrib's instrumentor (or middleware) creates the server span
    pii: bool = False
    instrument: bool = True  # under opentelemetry-instrument; else the app calls init()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def routes(self) -> bool:
        """Whether the framework knows route templates."""
        return self.framework in ("django", "starlette", "aiohttp")

    @property
    def streams(self) -> tuple[str, ...]:
        if self.framework in ("django", "starlette", "aiohttp"):
            return ("stream", "astream")
        return ("astream",) if self.framework == "asgi" else ("stream",)

    def environment(self, dsn: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(_DROPPED)}
        env.pop("PYTHONPATH", None)
        env.update(
            PYTHONPATH=str(APPS),
            PYTHONUNBUFFERED="1",
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            NO_PROXY="127.0.0.1,localhost",
            SENTRY_DSN=dsn,
            SENTRY_TRACES_SAMPLE_RATE="1.0",
            # A sync generator Starlette abandons on disconnect is closed only when garbage
            # collected; the span it left open holds its transaction this long at most.
            SENTRY_LATE_CHILDREN_TIMEOUT="2",
            SCOPETEL_RAISE_INTERNAL_ERRORS="1",
            DJANGO_SETTINGS_MODULE="djangoapp.settings"
            if self.instrument
            else "djangoapp.settings_init",
        )
        if self.pii:
            env["SENTRY_SEND_DEFAULT_PII"] = "true"
        if not self.contrib and self.framework == "django":
            # (disabling "django" would turn scopetel_django off too)
            env["OTEL_PYTHON_DJANGO_INSTRUMENT"] = "False"
        if not self.contrib and self.framework == "aiohttp":
            env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = "aiohttp-server"
        if self.contrib and self.framework in ("wsgi", "asgi", "starlette"):
            # (scopetel's ASGI layer replaces contrib's Starlette instrumentor)
            env["APP_CONTRIB_MIDDLEWARE"] = "1"
        env.update(self.env)
        return env

    def command(self, port: int) -> list[str]:
        instrument = [str(BIN / "opentelemetry-instrument")] if self.instrument else []
        if self.server == "gunicorn":
            threads = ["--threads", "8"] if self.worker == "gthread" else []
            return [
                *instrument,
                str(BIN / "gunicorn"),
                *("-b", f"127.0.0.1:{port}", "-w", "1", "-k", self.worker, *threads),
                *("--timeout", "30", "--graceful-timeout", "3", "--log-level", "warning"),
                self.app,
            ]
        if self.server == "aiohttp":
            return [
                *instrument,
                str(BIN / "python"),
                *("-m", "aiohttp.web", "-H", "127.0.0.1", "-P", str(port)),
                self.app,
            ]
        return [
            *instrument,
            str(BIN / "uvicorn"),
            self.app,
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            "--no-access-log",
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """A started server; :meth:`stop` kills its whole process group."""

    def __init__(self, setup: Setup, dsn: str, log: Path) -> None:
        self.setup = setup
        self.port = free_port()
        self.log_path = log
        self._log: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            setup.command(self.port),
            cwd=APPS,
            env=setup.environment(dsn),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._wait_listening()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.setup.name} exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.setup.name} did not listen:\n{self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def context_errors(self) -> list[str]:
        return [
            line for line in self.output().splitlines() if any(e in line for e in CONTEXT_ERRORS)
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(8)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()
