"""Configuration from the environment alone: the distro's defaults, a competing
configurator, bad values, ``OTEL_SDK_DISABLED``, and a ``fork()`` after set-up."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.harness import HeaderServer, app_env, run_script
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

SCOPETEL_FIELDS = ["baggage", "sentry-trace", "traceparent", "tracestate"]


def _config(**env: str) -> tuple[dict[str, Any], str]:
    result = run_script("show_config.py", env=app_env(**env))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return shown, result.stderr


def _scopetel_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "scopetel" in line]


def test_distro_defaults_without_an_otlp_endpoint(sentry: SentryReceiver) -> None:
    shown, stderr = _config(SENTRY_DSN=sentry.dsn, SENTRY_DEBUG="true")
    assert shown["env"] == {
        "OTEL_PYTHON_CONFIGURATOR": "scopetel",
        "OTEL_PROPAGATORS": "tracecontext,baggage,scopetel",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    assert shown["fields"] == SCOPETEL_FIELDS
    (started,) = [line for line in _scopetel_lines(stderr) if "started" in line]
    assert f"Sentry: project 42 at 127.0.0.1:{sentry.port}" in started
    assert "traces 100%" in started
    assert "public" not in started  # never the DSN's key
    sentry.wait_for(lambda: sentry.transactions())


def test_distro_defaults_with_an_endpoint_and_explicit_choices_kept(
    otlp: OtlpHttpReceiver,
) -> None:
    shown, stderr = _config(
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{otlp.url}/v1/traces",
        OTEL_PROPAGATORS="tracecontext",
        OTEL_METRICS_EXPORTER="console",
        SENTRY_DEBUG="1",
    )
    assert shown["env"]["OTEL_TRACES_EXPORTER"] == "otlp"
    assert shown["env"]["OTEL_PROPAGATORS"] == "tracecontext"
    assert shown["env"]["OTEL_METRICS_EXPORTER"] == "console"
    assert shown["fields"] == ["traceparent", "tracestate"]
    (started,) = [line for line in _scopetel_lines(stderr) if "started" in line]
    assert "Sentry: off (no DSN)" in started
    assert f"otlp_proto_http ({otlp.url}/v1/traces)" in started
    otlp.wait_for(lambda: otlp.spans())


def _fake_configurator(root: Path) -> Path:
    """A distribution registering another ``opentelemetry_configurator`` (like
    opentelemetry-distro does) that leaves a mark when it runs."""
    info = root / "fake_configurator-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-configurator\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[opentelemetry_configurator]\naaa_other = fake_configurator:Configurator\n"
    )
    (root / "fake_configurator.py").write_text(
        "import os, pathlib\n"
        "class Configurator:\n"
        "    def configure(self, **kwargs):\n"
        "        pathlib.Path(os.environ['FAKE_MARK']).write_text('configured')\n"
    )
    return root


def test_scopetel_configurator_wins_over_another_one(
    tmp_path: Path, sentry: SentryReceiver
) -> None:
    other = _fake_configurator(tmp_path / "site")
    mark = tmp_path / "mark"
    env = {"PYTHONPATH": str(other), "FAKE_MARK": str(mark), "SENTRY_DSN": sentry.dsn}
    shown, stderr = _config(**env)
    assert shown["env"]["OTEL_PYTHON_CONFIGURATOR"] == "scopetel"
    assert not mark.exists()
    assert "Configuration of aaa_other not loaded because scopetel is set" in stderr
    sentry.wait_for(lambda: sentry.transactions())
    # The competitor is real: chosen explicitly, it runs (and scopetel's does not).
    shown, _ = _config(**env, OTEL_PYTHON_CONFIGURATOR="aaa_other")
    assert mark.read_text() == "configured"
    assert shown["provider"] == "ProxyTracerProvider"


def test_bad_values_log_one_line_each_and_the_app_runs(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    shown, stderr = _config(
        SENTRY_DSN=sentry.dsn,
        SENTRY_TRACES_SAMPLE_RATE="7",
        SENTRY_SAMPLE_RATE="abc",
        SENTRY_DEBUG="maybe",
        OTEL_TRACES_EXPORTER="otlp,nonesuch",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
        OTEL_TRACES_SAMPLER="nosampler",
    )
    lines = _scopetel_lines(stderr)
    for variable, fallback in [
        ("SENTRY_TRACES_SAMPLE_RATE", "using 1.0 instead"),
        ("SENTRY_SAMPLE_RATE", "using 1.0 instead"),
        ("SENTRY_DEBUG", "using False instead"),
        ("OTEL_TRACES_EXPORTER", "using 'otlp' instead"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "using 'http/protobuf' instead"),
        ("OTEL_TRACES_SAMPLER", "using scopetel's sampler instead"),
    ]:
        (line,) = [line for line in lines if f"{variable}=" in line or f"{variable} " in line]
        assert fallback in line, line
    assert len(lines) == 6, lines
    assert shown["env"]["OTEL_TRACES_EXPORTER"] == "otlp"
    sentry.wait_for(lambda: sentry.transactions())  # sampled at the fallback rate
    otlp.wait_for(lambda: otlp.spans())


def test_a_malformed_resource_variable_warns_once_per_member(sentry: SentryReceiver) -> None:
    _, stderr = _config(SENTRY_DSN=sentry.dsn, OTEL_RESOURCE_ATTRIBUTES="a=b,malformed,c")
    warnings = [line for line in stderr.splitlines() if "resource attribute pair" in line]
    assert [line.split(" pair ")[1].split(":")[0] for line in warnings] == ["malformed", "c"]


def test_a_malformed_dsn_logs_one_line_and_sends_nothing(sentry: SentryReceiver) -> None:
    secret_dsn = f"http://public:s3cret@127.0.0.1:{sentry.port}/not-a-project"
    shown, stderr = _config(SENTRY_DSN=secret_dsn)
    (line,) = _scopetel_lines(stderr)
    assert "SENTRY_DSN is invalid (DSN project id must be numeric" in line
    assert line.endswith("leaving it unset")
    assert "s3cret" not in stderr
    assert shown["provider"] in ("LeanTracerProvider", "TracerProvider")  # tracer_provider=
    assert sentry.requests == []


def test_sdk_disabled_does_nothing(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver, headers: HeaderServer
) -> None:
    env = app_env(
        SENTRY_DSN=sentry.dsn, OTEL_SDK_DISABLED="true", OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url
    )
    config = json.dumps({"calls_to": headers.url, "error": True})
    result = run_script("script_app.py", config, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout.splitlines()[0])["trace_id"] == "0" * 32
    sent = headers.headers_for("/requests")
    assert not {"traceparent", "sentry-trace", "baggage"} & set(sent)
    assert sentry.requests == []
    assert otlp.requests == 0


def test_forked_child_sends_its_own_spans_once(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    env = app_env(SENTRY_DSN=sentry.dsn, OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url)
    result = run_script("fork_app.py", env=env)
    assert result.returncode == 0, result.stderr
    assert "child exit status 0" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    names = ("before-fork", "in-child", "after-fork")
    sentry.wait_for(lambda: len(sentry.transactions()) >= 3)
    otlp.wait_for(lambda: len(otlp.spans()) >= 3)
    sent = Counter(t["transaction"] for t in sentry.transactions())
    assert sent == Counter(names)
    assert Counter(span.name for span in otlp.spans()) == Counter(names)
    child = next(t for t in sentry.transactions() if t["transaction"] == "in-child")
    parent = next(t for t in sentry.transactions() if t["transaction"] == "after-fork")
    assert child["contexts"]["trace"]["trace_id"] != parent["contexts"]["trace"]["trace_id"]


def test_explicit_propagators_naming_scopetel_load_at_import() -> None:
    """As in a child process of an instrumented app, which inherits the distro's default."""
    shown, _ = _config(OTEL_PROPAGATORS="tracecontext,baggage,scopetel")
    assert shown["fields"] == SCOPETEL_FIELDS


def test_samplers_chosen_by_otel_traces_sampler(sentry: SentryReceiver) -> None:
    _, stderr = _config(
        SENTRY_DSN=sentry.dsn,
        SENTRY_DEBUG="1",
        OTEL_TRACES_SAMPLER="scopetel",
        OTEL_TRACES_SAMPLER_ARG="0",
    )
    assert "traces 0%" in stderr
    _, stderr = _config(
        SENTRY_DSN=sentry.dsn,
        SENTRY_DEBUG="1",
        SENTRY_TRACES_SAMPLE_RATE="0",
        OTEL_TRACES_SAMPLER="always_on",
    )
    assert "traces as the configured OTEL_TRACES_SAMPLER decides" in stderr
    sentry.wait_for(lambda: sentry.transactions())
    (transaction,) = sentry.transactions()  # only the always_on run sampled
    assert transaction["transaction"] == "configured"


def test_no_metrics_exporter_leaves_the_meter_provider_to_the_application(
    sentry: SentryReceiver,
) -> None:
    result = run_script("own_meter_app.py", env=app_env(SENTRY_DSN=sentry.dsn))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.splitlines()[-1])
    # no reader-less SDK provider taking every measurement for nothing
    assert shown["before"] == "_ProxyMeterProvider"
    assert "early.count" in shown["names"]  # instrumentations' own gauges arrive too
    assert "Overriding of current MeterProvider" not in result.stderr
