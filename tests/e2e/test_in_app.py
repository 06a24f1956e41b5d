"""Which frames are the application's own, as sentry-sdk decides: the files under
``project_root`` (by default the working directory), not a helper imported from a
directory added to ``PYTHONPATH`` nor the standard library."""

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.harness import INSTRUMENT, app_env
from tests.support.sentry_receiver import SentryReceiver

APP = """\
import helper
import scopetel


def handler():
    raise ValueError("in the handler")


try:
    helper.call(handler)
except ValueError:
    scopetel.capture_exception()
scopetel.flush(5)
"""

HELPER = """\
def call(function):
    return function()
"""


def _frames(tmp_path: Path, sentry: SentryReceiver, **settings: str) -> dict[str, Any]:
    project, shared = tmp_path / "project", tmp_path / "shared"
    project.mkdir()
    shared.mkdir()
    (project / "app.py").write_text(APP)
    (shared / "helper.py").write_text(HELPER)
    env = app_env(SENTRY_DSN=sentry.dsn, OTEL_TRACES_EXPORTER="none", **settings)
    env["PYTHONPATH"] = str(shared)
    done = subprocess.run(
        [str(INSTRUMENT), sys.executable, "app.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    (event,) = sentry.events()
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    return {f"{frame['module']}.{frame['function']}": frame["in_app"] for frame in frames}


def test_frames_under_the_working_directory_are_the_apps(
    sentry: SentryReceiver, tmp_path: Path
) -> None:
    in_app = _frames(tmp_path, sentry)
    assert in_app == {"__main__.<module>": True, "helper.call": False, "__main__.handler": True}


def test_project_root_names_the_apps_files(sentry: SentryReceiver, tmp_path: Path) -> None:
    in_app = _frames(tmp_path, sentry, SENTRY_PROJECT_ROOT=str(tmp_path / "shared"))
    assert in_app == {"__main__.<module>": False, "helper.call": True, "__main__.handler": False}
