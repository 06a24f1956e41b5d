"""A throwaway ``redis-server`` on a random loopback port, for broker and cache tests.

``scripts/services.sh`` (run by ``scripts/setup.sh``) installs Debian's redis-server
where it is missing; where it cannot be had, the :func:`redis_url` fixture skips the tests that
need it and says why::

    with RedisServer(tmp_dir) as redis:
        redis.url  # redis://127.0.0.1:<port>/0

The server keeps nothing on disk (``--save ''``, no AOF) and runs in its own directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["RedisServer", "redis_url"]

_MISSING = (
    "redis-server is not installed: run `bash scripts/setup.sh` as root (it installs "
    "Debian's redis-server), or `apt-get install redis-server`"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 on a free port; stopped on exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisServer:
        for _ in range(5):  # another process may take the port between probe and bind
            self.port = _free_port()
            self._process = subprocess.Popen(
                [
                    *("redis-server", "--bind", "127.0.0.1", "--port", str(self.port)),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                    *("--daemonize", "no", "--loglevel", "warning"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while self._process.poll() is None and time.monotonic() < deadline:
                if _ping(self.port):
                    return self
                time.sleep(0.02)
            self._stop()
        raise RuntimeError("redis-server did not start on a loopback port")

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def __exit__(self, *exc_info: object) -> None:
        self._stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of one redis-server for the whole session (tests use their own keys and
    queues)."""
    if shutil.which("redis-server") is None:
        pytest.skip(_MISSING)
    with tempfile.TemporaryDirectory(prefix="redis-") as directory:
        with RedisServer(Path(directory)) as server:
            yield server.url
