"""Configuration from the environment: SENTRY_* through the options table, the OTEL_*
defaults and checks of the distro, resource → Sentry fields, the start-up line."""

import logging

import pytest
from opentelemetry.sdk.resources import Resource

from scopetel._config import otel_env as otel_env
from scopetel._config.options import Options
from scopetel._config.resolution import AUTO_INSTRUMENT_DEFAULTS, resolve
from scopetel._setup.resource import resource_context, with_resource_defaults
from scopetel._setup.startup_line import startup_line
from scopetel._version import VERSION

DSN = "https://public:secret@o1.ingest.sentry.io/42"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_every_variable_is_read(caplog: pytest.LogCaptureFixture) -> None:
    environ = {
        "SENTRY_DSN": DSN,
        "SENTRY_SAMPLE_RATE": "0.5",
        "SENTRY_TRACES_SAMPLE_RATE": "0.25",
        "SENTRY_SEND_DEFAULT_PII": "yes",
        "SENTRY_DEBUG": "0",
        "SENTRY_IN_APP_INCLUDE": "shop, billing",
        "SENTRY_IGNORE_ERRORS": "KeyError,shop.Oops",
        "SENTRY_MAX_VALUE_LENGTH": "2048",
        "SENTRY_TRACE_LIFECYCLE": "stream",
        "SENTRY_DISABLED_INTEGRATIONS": "threads",
    }
    options = resolve({}, environ)
    assert (options.dsn, options.sample_rate, options.traces_sample_rate) == (DSN, 0.5, 0.25)
    assert options.send_default_pii and not options.debug
    assert options.in_app_include == ("shop", "billing")
    assert options.ignore_errors == ("KeyError", "shop.Oops")
    assert options.max_value_length == 2048
    assert options.trace_lifecycle == "stream"
    assert options.disabled_integrations == ("threads",)
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "SENTRY_TRACES_SAMPLE_RATE",
            "abc",
            "scopetel: SENTRY_TRACES_SAMPLE_RATE must be a number, got 'abc'; using 1.0 instead",
        ),
        (
            "SENTRY_TRACES_SAMPLE_RATE",
            "7",
            "scopetel: SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got '7'; "
            "using 1.0 instead",
        ),
        (
            "SENTRY_DSN",
            "https://o1.ingest.sentry.io/42",
            "scopetel: SENTRY_DSN is invalid (DSN has no public key (expected "
            "scheme://<public_key>@host/...)); leaving it unset",
        ),
        (
            "SENTRY_TRACE_LIFECYCLE",
            "later",
            "scopetel: SENTRY_TRACE_LIFECYCLE must be one of static, stream, got 'later'; "
            "using 'static' instead",
        ),
    ],
)
def test_a_bad_variable_logs_one_line_with_the_fallback(
    caplog: pytest.LogCaptureFixture, variable: str, value: str, line: str
) -> None:
    options = resolve({}, {variable: value}, defaults=AUTO_INSTRUMENT_DEFAULTS)
    assert _warnings(caplog) == [line]
    assert options.traces_sample_rate == 1.0


def test_keywords_beat_the_environment_which_beats_auto_defaults() -> None:
    environ = {"SENTRY_TRACES_SAMPLE_RATE": "0.5", "SENTRY_RELEASE": "env@1"}
    auto = AUTO_INSTRUMENT_DEFAULTS
    assert resolve({}, {}, defaults=auto).traces_sample_rate == 1.0
    assert resolve({}, {}).traces_sample_rate is None
    assert resolve({}, environ, defaults=auto).traces_sample_rate == 0.5
    options = resolve({"traces_sample_rate": 0.1}, environ, defaults=auto)
    assert (options.traces_sample_rate, options.release) == (0.1, "env@1")


def test_distro_defaults() -> None:
    defaults = otel_env.distro_defaults({})
    assert defaults["OTEL_TRACES_EXPORTER"] == "none"
    assert defaults["OTEL_PROPAGATORS"] == "tracecontext,baggage,scopetel"
    assert defaults["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    with_endpoint = otel_env.distro_defaults({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    assert with_endpoint["OTEL_TRACES_EXPORTER"] == "otlp"
    assert otel_env.sdk_disabled({"OTEL_SDK_DISABLED": " TRUE "})
    assert not otel_env.sdk_disabled({"OTEL_SDK_DISABLED": "1"})  # as the SDK reads it


def test_check_exporters(caplog: pytest.LogCaptureFixture) -> None:
    environ = {"OTEL_TRACES_EXPORTER": "otlp, console", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    assert otel_env.check_exporters(environ) == ["otlp_proto_grpc", "console"]
    environ = {
        "OTEL_TRACES_EXPORTER": "nope",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "otlp,bogus",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json",
    }
    assert otel_env.check_exporters(environ) == []
    assert environ["OTEL_TRACES_EXPORTER"] == "none"
    assert environ["OTEL_METRICS_EXPORTER"] == "otlp"
    assert environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] == "http/protobuf"
    assert len(_warnings(caplog)) == 3


def test_unknown_sampler_falls_back_to_scopetels(caplog: pytest.LogCaptureFixture) -> None:
    assert otel_env.foreign_sampler({"OTEL_TRACES_SAMPLER": "always_on"})
    assert not otel_env.foreign_sampler({"OTEL_TRACES_SAMPLER": "scopetel"})
    assert not otel_env.foreign_sampler({})
    assert not otel_env.foreign_sampler({"OTEL_TRACES_SAMPLER": "sometimes"})
    assert len(_warnings(caplog)) == 1


def test_exporter_description_hides_credentials() -> None:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:pw@collector:4318/"}
    assert otel_env.describe_exporter(environ, "otlp_proto_http") == (
        "otlp_proto_http (https://collector:4318/v1/traces)"
    )
    assert otel_env.describe_exporter({}, "otlp_proto_grpc") == (
        "otlp_proto_grpc (http://localhost:4317)"
    )
    assert otel_env.describe_exporter({}, "console") == "console"


def test_resource_fills_unset_sentry_fields_only() -> None:
    resource = Resource.create(
        {
            "service.name": "shop",
            "service.version": "2.0",
            "deployment.environment.name": "prod",
            "host.name": "web-1",
        }
    )
    filled = with_resource_defaults(Options(release="explicit"), resource)
    assert (filled.release, filled.environment, filled.server_name) == ("explicit", "prod", "web-1")
    older = Resource.create({"deployment.environment": "staging"})
    assert with_resource_defaults(Options(), older).environment == "staging"
    context = resource_context(resource)
    assert context["resource"]["service.name"] == "shop"


def test_startup_line_never_shows_the_keys() -> None:
    options = Options(dsn=DSN, traces_sample_rate=0.25, environment="prod")
    line = startup_line(options, True, ["otlp_proto_http (http://c:4318/v1/traces)"])
    assert line == (
        f"scopetel {VERSION} started; Sentry: project 42 at o1.ingest.sentry.io (errors 100%, "
        "traces 25%, as transactions); also exporting to: otlp_proto_http "
        "(http://c:4318/v1/traces); environment prod"
    )
    assert "public" not in line and "secret" not in line
    assert "Sentry: off (no DSN)" in startup_line(Options(), True, [])
    assert "as the configured OTEL_TRACES_SAMPLER decides" in startup_line(
        Options(dsn=DSN), False, []
    )


def test_readme_documents_every_otel_variable_scopetel_sets() -> None:
    table = otel_env.markdown_table()
    for name in otel_env.distro_defaults({}):
        assert f"`{name}`" in table


def test_string_values_are_stripped() -> None:
    from scopetel._config.resolution import resolve

    options = resolve({}, {"SENTRY_ENVIRONMENT": "prod\n", "SENTRY_RELEASE": " app@1 "})
    assert (options.environment, options.release) == ("prod", "app@1")
