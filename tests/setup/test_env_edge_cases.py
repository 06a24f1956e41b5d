"""Environment edge cases under ``opentelemetry-instrument``: empty variables, doubled exporters."""

import subprocess
import sys
import time
from pathlib import Path

from scopetel._config.resolution import AUTO_INSTRUMENT_DEFAULTS, resolve
from tests.e2e.harness import INSTRUMENT, app_env
from tests.support.sentry_receiver import SentryReceiver

WSGI_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.7",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "shop.example",
}


# -- 6. An empty SENTRY_TRACES_SAMPLE_RATE turns tracing off under opentelemetry-instrument -


def test_empty_traces_sample_rate_variable_keeps_the_default() -> None:
    options = resolve({}, {"SENTRY_TRACES_SAMPLE_RATE": ""}, defaults=AUTO_INSTRUMENT_DEFAULTS)
    assert options.traces_sample_rate == 1.0


# -- 7. OTEL_TRACES_EXPORTER=scopetel under scopetel's own configurator: everything twice --

_DUPLICATE_APP = """
from opentelemetry import trace

tracer = trace.get_tracer("review")
with tracer.start_as_current_span("root"):
    with tracer.start_as_current_span("child"):
        pass
print("app done")
"""


def test_scopetel_traces_exporter_does_not_duplicate_the_segment_processor(
    tmp_path: Path,
) -> None:
    script = tmp_path / "app.py"
    script.write_text(_DUPLICATE_APP)
    with SentryReceiver() as receiver:
        env = app_env(SENTRY_DSN=receiver.dsn, OTEL_TRACES_EXPORTER="scopetel")
        result = subprocess.run(
            [str(INSTRUMENT), sys.executable, str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not receiver.items():
            time.sleep(0.05)
        time.sleep(0.3)
        kinds = {item.type for item in receiver.items()}
    assert kinds, "nothing reached Sentry"
    assert not {"transaction", "span"} <= kinds
