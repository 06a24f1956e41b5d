"""A small Flask app for the profiler under a pre-forking server: one endpoint that
computes (``busy_work``), and, with ``BUSY_START_PROFILER=1``, the profiler started at
import, as an app does with the ``manual`` lifecycle: in gunicorn's master when it is
run with ``--preload``, so the workers are forked from a process that was profiling."""

import os

from flask import Flask
from sdk import sentry_sdk

if os.environ.get("BUSY_START_PROFILER") == "1":
    sentry_sdk.profiler.start_profiler()

app = Flask(__name__)


def busy_work(rounds: int) -> int:
    total = 0
    for number in range(rounds):
        total += (number * number) % 7
    return total


@app.route("/busy")
def busy() -> dict[str, int]:
    return {"pid": os.getpid(), "total": busy_work(300_000)}
