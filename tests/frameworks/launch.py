"""Launching the framework apps as a user would, under one of two runtimes.

``SCOPETEL``: the project's virtualenv, each server started through
``opentelemetry-instrument`` and configured by ``SENTRY_*``/``OTEL_*`` variables, as the
README says. ``sentry_sdk_runtime()``: a separate virtualenv holding sentry-sdk 2.75 and the
same app libraries (only for the side-by-side comparison); the apps call
``sentry_sdk.init()`` themselves there (see ``apps/sdk.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness import BIN, Server, app_env, free_port

APPS = Path(__file__).parent / "apps"
RELEASE = "blog@1.0.0"
SENTRY_VENV = Path(os.environ.get("COMPARE_SENTRY_VENV", "/work/wt/frameworks-sentry-venv"))
POOLS = ("prefork", "solo", "threads")
START_TIMEOUT = 30.0
"""Seconds a server may take to start: importing everything under
``opentelemetry-instrument`` takes 5-12 s on a loaded 2-core machine."""


@dataclass(frozen=True)
class Runtime:
    name: str
    bin: Path
    instrument: bool  # launched through opentelemetry-instrument

    def command(self, program: str, *args: str) -> list[str]:
        prefix = [str(self.bin / "opentelemetry-instrument")] if self.instrument else []
        return [*prefix, str(self.bin / program), *args]

    def environment(self, dsn: str, otlp_url: str | None = None, **extra: str) -> dict[str, str]:
        env = app_env(SENTRY_DSN=dsn, SENTRY_RELEASE=RELEASE, PYTHONPATH=str(APPS), **extra)
        env["PATH"] = f"{self.bin}{os.pathsep}{env['PATH']}"
        if self.instrument:
            if otlp_url is not None:
                env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_url
        else:
            env["COMPARE_SENTRY_SDK"] = "1"
        return env


SCOPETEL = Runtime("scopetel", BIN, instrument=True)


def sentry_sdk_runtime(venv: Path = SENTRY_VENV) -> Runtime:
    return Runtime("sentry-sdk", venv / "bin", instrument=False)


def blog_server(runtime: Runtime, env: dict[str, str], logs: Path) -> Server:
    """``gunicorn -w 1 blog.wsgi:app`` (no ``--preload``: the worker runs the start-up SQL)."""
    port = free_port()
    command = runtime.command(
        "gunicorn",
        *("-w", "1", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3"),
        "blog.wsgi:app",
    )
    env = {"BLOG_DATABASE": str(logs / "blog.sqlite"), **env}
    return Server(command, env, port, logs / "blog.log", cwd=APPS, start_timeout=START_TIMEOUT)


def service_server(runtime: Runtime, env: dict[str, str], logs: Path, name: str) -> Server:
    port = free_port()
    command = runtime.command(
        "uvicorn",
        "service:app",
        *("--host", "127.0.0.1", "--port", str(port)),
    )
    return Server(command, env, port, logs / f"{name}.log", cwd=APPS, start_timeout=START_TIMEOUT)


def celery_worker(runtime: Runtime, env: dict[str, str], logs: Path, pool: str) -> Server:
    """``celery -A tasks worker --pool=<pool> -c1`` on its own queue (``<runtime>-<pool>``),
    ready when it says so."""
    queue = f"{runtime.name}-{pool}"
    command = runtime.command(
        "celery",
        *("-A", "tasks", "worker", f"--pool={pool}", "-c1", "--loglevel=INFO"),
        *("-Q", queue, "-n", f"{queue}@localhost"),
    )
    env = {**env, "TASKS_QUEUE": queue}
    return Server(
        command,
        env,
        0,
        logs / f"{queue}.log",
        cwd=APPS,
        ready=lambda output: " ready." in output,
        start_timeout=START_TIMEOUT,
    )
