"""Run one corpus script under one interpreter and keep what reached a Sentry receiver.

Each run gets a fresh process, a fresh strict loopback receiver (``SENTRY_DSN`` points at
it) and a fresh working directory outside any git checkout holding only a copy of the
script, as an application deployed on its own: sentry-sdk would otherwise take the
checkout's commit as the release, and ``cwd`` is the project root that decides ``in_app``.
The environment is minimal (no ``SENTRY_*``/``OTEL_*`` of the caller, no ``PYTHONPATH``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.sentry_receiver import SentryReceiver

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = Path(__file__).resolve().parent / "expected"
SCOPETEL_PYTHON = Path(sys.prefix) / "bin" / "python"
SENTRY_SDK_PYTHON = Path(sys.prefix).parent / ".venv-sentry-sdk" / "bin" / "python"
"""The real sentry-sdk 2.75, made by ``scripts/setup.sh`` beside ``.venv``."""
TIMEOUT = 60.0


@dataclass
class Envelope:
    """One delivered envelope: its headers and its items as ``(headers, payload)``."""

    headers: dict[str, Any]
    items: list[tuple[dict[str, Any], Any]]  # payload: decoded JSON, or raw bytes


@dataclass
class Run:
    script: str
    python: str
    exit_code: int
    stderr: str
    envelopes: list[Envelope] = field(default_factory=list)
    receiver_errors: list[str] = field(default_factory=list)

    @property
    def first_error(self) -> str:
        """The last line of the traceback on stderr (the exception), or ''."""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        for line in reversed(lines):
            if not line.startswith((" ", "\t")) and ("Error" in line or "Exception" in line):
                return line.strip()
        return lines[-1].strip() if lines and self.exit_code else ""


def scripts() -> list[str]:
    """Every corpus script, by file name without ``.py``."""
    return sorted(path.stem for path in CORPUS.glob("*.py") if not path.stem.startswith("_"))


def run_script(script: str, python: Path) -> Run:
    """Run ``corpus/<script>.py`` with ``python``; wait for it to exit; return what arrived."""
    with SentryReceiver() as receiver, tempfile.TemporaryDirectory(prefix="compat-") as work:
        shutil.copy(CORPUS / f"{script}.py", Path(work) / "app.py")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "SENTRY_DSN": receiver.dsn,
            # scopetel's own tests turn its internal errors into exceptions: a bug shows.
            "SCOPETEL_RAISE_INTERNAL_ERRORS": "1",
        }
        try:
            done = subprocess.run(
                [str(python), "app.py"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            exit_code, stderr = done.returncode, done.stderr
        except subprocess.TimeoutExpired as expired:
            exit_code, stderr = -1, f"TimeoutError: still running after {TIMEOUT:.0f}s\n"
            stderr = str(expired.stderr or "") + stderr
        envelopes = [
            Envelope(e.headers, [(i.headers, _payload(i.json, i.payload)) for i in e.items])
            for e in receiver.envelopes
        ]
        return Run(script, str(python), exit_code, stderr, envelopes, receiver.errors)


def _payload(decoded: Any, raw: bytes) -> Any:
    return raw if decoded is None else decoded
