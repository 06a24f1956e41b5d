"""The README's demo command, end to end: ``bash scripts/demo.sh`` as a user runs it.

It starts ``scopetel serve`` and the example app (uvicorn, under
``opentelemetry-instrument`` once scopetel's distro is installed), sends the requests and
prints what arrived; it must leave nothing running, also when it is interrupted.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = os.environ | {"PYTHONIOENCODING": "utf-8"}
for _name in [name for name in ENV if name.startswith(("SENTRY_", "OTEL_"))]:
    del ENV[_name]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _ports(output: str) -> list[int]:
    serve = re.search(r"Sentry DSN:   http://scopetel@127\.0\.0\.1:(\d+)/1", output)
    app = re.search(r"starting examples/demo_app\.py on http://127\.0\.0\.1:(\d+)", output)
    return [int(match[1]) for match in (serve, app) if match]


def _tree(output: str, header: str) -> str:
    """The block that starts with ``header`` (up to the next blank line)."""
    start = output.index(header)
    end = output.find("\n\n", start)
    return output[start : end if end >= 0 else None]


def test_demo_shows_the_trees_and_the_error_and_stops_everything() -> None:
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "scripts/demo.sh"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=90
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert time.monotonic() - started < 40

    assert "  GET /fanout -> 200 " in output
    assert "  GET /stream -> 200 row 0 row 1 row 2" in output
    assert '  POST /checkout -> 402 {"error":"payment declined"}' in output

    fanout = _tree(output, 'transaction "GET /fanout"')
    assert re.search(r"^  http\.server  GET /fanout  ", fanout, re.M)
    # the asyncio.gather fan-out: three sibling spans directly under the request's span
    assert len(re.findall(r"^  [├└]─ http\.client  inventory lookup  ", fanout, re.M)) == 3
    stream = _tree(output, 'transaction "GET /stream"')
    # rows rendered while the server streamed the body are in the request's transaction
    for row in range(3):
        assert re.search(rf"^  [├└]─ serialize  render row {row}  ", stream, re.M), stream
    checkout = _tree(output, 'transaction "POST /checkout"')
    assert re.search(r"^  [├└]─ payment  charge card  .*✗ internal_error", checkout, re.M)
    checkout_trace = re.search(r"· trace (\w{32})", checkout)
    assert checkout_trace is not None
    error = re.search(
        r"^error PaymentDeclined: card declined for 42\.00 EUR · charge in demo_app\.py:\d+ · "
        r".*trace (\w{32}) · event \w{32}$",
        output,
        re.M,
    )
    assert error is not None, output
    assert error[1] == checkout_trace[1]

    if "opentelemetry-instrument uvicorn" in output:  # scopetel's distro: OTLP as well
        fanout_trace = re.search(r"· trace (\w{32})", fanout)
        assert fanout_trace is not None
        otlp = _tree(output, f"otlp trace {fanout_trace[1]} · service scopetel-demo")
        assert len(re.findall(r"http\.client  inventory lookup", otlp)) == 3

    assert re.search(
        r"^scopetel serve stopped; received 1 event, (\d+ otlp_span, )?"
        r"(1 sessions, )?3 transaction$",
        output,
        re.M,
    )
    ports = _ports(output)
    assert len(ports) == 2
    assert not any(_listening(port) for port in ports)
    lines = re.search(
        r"^== every item is also in \.demo/events\.jsonl \((\d+) lines\)$", output, re.M
    )
    assert lines is not None and int(lines[1]) >= 4


def test_interrupted_demo_stops_what_it_started() -> None:
    process = subprocess.Popen(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("== sending"):
                break
        ports = _ports("".join(lines))
        assert len(ports) == 2, lines
        process.send_signal(signal.SIGTERM)
        lines += process.stdout.readlines()
        assert process.wait(30) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    assert not any(_listening(port) for port in ports), lines
    # nothing of the demo's process group is left
    time.sleep(0.2)
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        pass
    else:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the demo left processes behind")


def _load_yaml(path: Path) -> Any:
    """Parse with PyYAML: in this interpreter if it has it, else in the machine's python3."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        return yaml.safe_load(path.read_text())
    python3 = shutil.which("python3")
    script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"
    if python3 is not None:
        result = subprocess.run(
            [python3, "-c", script], input=path.read_text(), capture_output=True, text=True
        )
        if result.returncode == 0:
            return json.loads(result.stdout)
    pytest.skip("no YAML parser (PyYAML) on this machine")


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_valid_for_docker_compose() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither the docker client's compose plugin nor docker-compose is installed")
    env = ENV | {"SENTRY_DSN": "https://key@o1.ingest.sentry.io/42"}
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "SENTRY_DSN: https://key@o1.ingest.sentry.io/42" in result.stdout


def test_compose_services_collector_and_dockerfile_fit_together() -> None:
    compose = _load_yaml(ROOT / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"app", "load", "scopetel-serve", "otel-collector", "jaeger"}
    for name, service in services.items():
        for dependency in service.get("depends_on", []):
            assert dependency in services, (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert not source.startswith(".") or (ROOT / source).exists(), volume
    app = services["app"]
    env = app["environment"]
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert env["SENTRY_DSN"].startswith("${SENTRY_DSN:-http://scopetel@scopetel-serve:8969/")
    assert services["load"]["command"][1] == "examples/demo_client.py"
    assert "otel/opentelemetry-collector-contrib:" in services["otel-collector"]["image"]
    assert "jaegertracing/all-in-one:" in services["jaeger"]["image"]

    dockerfile = ROOT / app["build"]["dockerfile"]
    text = dockerfile.read_text()
    assert [line for line in text.splitlines() if line.startswith("FROM ")] == [
        "FROM python:3.11-slim"
    ]
    for line in text.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), line
    assert '"opentelemetry-instrument", "uvicorn"' in text
    assert (ROOT / "examples" / "demo_app.py").exists()

    collector = _load_yaml(ROOT / "examples" / "otel-collector.yaml")
    assert set(collector["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    pipeline = collector["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(collector[kind]), kind
    assert "debug" in pipeline["exporters"]
    jaeger_host = collector["exporters"]["otlp/jaeger"]["endpoint"].split(":")[0]
    assert jaeger_host in services
