"""A statement recorded by contrib's SQLAlchemy and the driver's instrumentations: Sentry
gets one span either way; the driver's span is recorded only when something else reads
spans. (Contrib's SQLAlchemy instrumentation: scopetel's is disabled here, which brings
contrib's back; scopetel's own: ``test_sqlalchemy_spans``.)"""

import json
from typing import Any

from tests.e2e.harness import app_env, run_script
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

STATEMENTS = ["CREATE TABLE post (id INTEGER)", "SELECT probe()", "SELECT id FROM post"]


def _run(sentry: SentryReceiver, **env: str) -> dict[str, Any]:
    result = run_script(
        "statements_app.py",
        env=app_env(
            SENTRY_DSN=sentry.dsn,
            SENTRY_TRACES_SAMPLE_RATE="1.0",
            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="scopetel_sqlalchemy",
            **env,
        ),
    )
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    sentry.wait_for(lambda: len(sentry.transactions()) == 1)
    return shown


def _sentry_statements(sentry: SentryReceiver) -> list[tuple[str, str]]:
    (transaction,) = sentry.transactions()
    return [
        (span["description"], span["origin"])
        for span in transaction["spans"]
        if span["op"] == "db" and span["description"] in STATEMENTS
    ]


def test_sentry_alone_records_each_statement_once(sentry: SentryReceiver) -> None:
    shown = _run(sentry)
    assert shown == {"driver_span_recording": [False]}  # the driver's span: not recorded
    assert _sentry_statements(sentry) == [(s, "auto.otel.sqlalchemy") for s in STATEMENTS]
    (event,) = sentry.events()
    crumbs = [crumb.get("message") for crumb in event["breadcrumbs"]["values"]]
    assert [m for m in crumbs if m in STATEMENTS] == STATEMENTS  # one breadcrumb each


def test_with_an_otlp_exporter_both_layers_are_exported(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    shown = _run(
        sentry,
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{otlp.url}/v1/traces",
    )
    assert shown == {"driver_span_recording": [True]}
    assert _sentry_statements(sentry) == [(s, "auto.otel.sqlalchemy") for s in STATEMENTS]

    def layers() -> list[str]:
        return sorted(
            span.scope.rsplit(".", 1)[-1]
            for span in otlp.spans()
            if span.attributes.get("db.statement") == "SELECT probe()"
        )

    otlp.wait_for(lambda: layers() == ["sqlalchemy", "sqlite3"])


def test_a_processor_the_application_adds_gets_both_layers(sentry: SentryReceiver) -> None:
    shown = _run(sentry, OWN_PROCESSOR="1")
    assert shown == {"driver_span_recording": [True], "own_processor": ["sqlalchemy", "sqlite3"]}
    assert _sentry_statements(sentry) == [(s, "auto.otel.sqlalchemy") for s in STATEMENTS]
