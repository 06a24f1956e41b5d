"""The real Spotlight sidecar (npm ``@spotlightjs/spotlight``) in a fixture.

``scripts/setup.sh`` installs it into ``tests/spotlight/node_modules`` when npm exists;
without it the tests skip and say so. ``sidecar.mjs`` starts it on a free 127.0.0.1 port
without Spotlight's own telemetry. What it received is read back through its API: the
``GET /stream`` event stream replays every envelope it parsed, as JSON
``[headers, [[item headers, payload], ...]]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).parent
INSTALLED = HERE / "node_modules" / "@spotlightjs" / "spotlight"


class Sidecar:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream"

    def envelopes(self, timeout: float = 1.5) -> list[list[Any]]:
        """Every envelope the sidecar parsed so far, from its event stream."""
        found: list[list[Any]] = []
        try:
            with requests.get(self.url, stream=True, timeout=(5, timeout)) as response:
                for line in response.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:"):
                        found.append(json.loads(line[len("data:") :]))
        except requests.exceptions.ConnectionError:  # the read timeout ends the replay
            pass
        return found

    def items(self, timeout: float = 1.5) -> list[tuple[dict[str, Any], Any]]:
        return [
            (headers, payload)
            for envelope in self.envelopes(timeout)
            for headers, payload in envelope[1]
        ]


def start_sidecar() -> Iterator[Sidecar]:
    node = shutil.which("node")
    if node is None or not INSTALLED.is_dir():
        pytest.skip(
            "Spotlight sidecar not installed: needs node and npm "
            "(scripts/setup.sh runs npm ci in tests/spotlight)"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))}
    process = subprocess.Popen(
        [node, str(HERE / "sidecar.mjs"), "0"],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        try:
            port = int(json.loads(first)["port"])
        except (ValueError, KeyError) as error:
            raise AssertionError(f"the sidecar did not start: {first!r}") from error
        yield Sidecar(process, port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
