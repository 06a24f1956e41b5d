"""The asyncio task snapshot over HTTP: the Starlette route under real uvicorn, the
aiohttp handler on a real aiohttp server, the Django async view, and the opt-in
listener of a script that mounts nothing (bound to 127.0.0.1)."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.web.servers import BIN, free_port

APPS = Path(__file__).parent / "apps"


def environment(**extra: str) -> dict[str, str]:
    dropped = ("SENTRY_", "OTEL_", "SCOPETEL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(PYTHONPATH=str(APPS), **extra)
    return env


def get_json(url: str, deadline: float = 20.0) -> dict[str, Any]:
    end = time.monotonic() + deadline
    while True:
        try:
            response = requests.get(url, timeout=5)
            assert response.headers["Content-Type"].startswith("application/json")
            data: dict[str, Any] = response.json()
            return data
        except requests.ConnectionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def assert_parked(snapshot: dict[str, Any]) -> None:
    (task,) = [t for t in snapshot["tasks"] if t["name"] == "parked-sleeper"]
    assert task["waiting_on"] == "sleep" and task["coroutine"].endswith("parked")
    assert task["frames"][-1]["function"] == "sleep"
    assert snapshot["counts"]["sleep"] >= 1


def test_starlette_route_under_uvicorn() -> None:
    port = free_port()
    command = [str(BIN / "uvicorn"), "snapshot_apps:starlette_app", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--log-level", "warning"], env=environment(), cwd=APPS
    )
    try:
        assert_parked(get_json(f"http://127.0.0.1:{port}/_debug/asyncio"))
    finally:
        process.terminate()
        process.wait(10)


def test_aiohttp_handler_on_a_real_server() -> None:
    from aiohttp import web

    sys.path.insert(0, str(APPS))
    try:
        from snapshot_apps import aiohttp_app
    finally:
        sys.path.remove(str(APPS))

    async def main() -> dict[str, Any]:
        runner = web.AppRunner(aiohttp_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            return await asyncio.to_thread(get_json, f"http://127.0.0.1:{port}/_debug/asyncio")
        finally:
            await runner.cleanup()

    assert_parked(asyncio.run(main()))


def test_django_async_view() -> None:
    code = """
import asyncio, json, django
from django.conf import settings
settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"])
django.setup()
from django.test import AsyncRequestFactory
from snapshot_apps import parked
from scopetel_instrumentation_stdlib.asyncio_snapshot_http import django_snapshot
async def main():
    task = asyncio.create_task(parked(), name="parked-sleeper")
    await asyncio.sleep(0)
    response = await django_snapshot(AsyncRequestFactory().get("/_debug/asyncio"))
    task.cancel()
    print(response["Content-Type"])
    print(response.content.decode())
asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    content_type, body = result.stdout.split("\n", 1)
    assert content_type == "application/json"
    assert_parked(json.loads(body))


def test_the_opt_in_listener_of_a_script(tmp_path: Path) -> None:
    port = free_port()
    env = environment(SCOPETEL_ASYNCIO_SNAPSHOT_PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, str(APPS / "snapshot_apps.py")], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        assert_parked(get_json(f"http://127.0.0.1:{port}/"))
        assert requests.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
        listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
        bound = [line.split()[3] for line in listening.splitlines() if f":{port} " in line + " "]
        assert bound == [f"127.0.0.1:{port}"], bound
    finally:
        process.terminate()
        process.wait(10)
