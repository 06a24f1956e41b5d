"""scopetel's SQLAlchemy instrumentor under ``opentelemetry-instrument`` (which now loads
it instead of contrib's), with contrib's sqlite3 instrumentation on: one span per
statement in the Sentry transaction and in OTLP, named and described as contrib's
SQLAlchemy instrumentation does (run side by side with ours disabled, which brings
contrib's back)."""

import json
from typing import Any

from tests.e2e.harness import app_env, run_script
from tests.support.otlp_receiver import OtlpHttpReceiver, OtlpSpan
from tests.support.sentry_receiver import SentryReceiver

STATEMENTS = [
    "CREATE TABLE post (id INTEGER)",
    "INSERT INTO post (id) VALUES (?)",
    "SELECT probe()",
    "SELECT id FROM post",
    "SELECT nope FROM missing",
]
OURS = "scopetel.instrumentation.sqlalchemy"
CONTRIB = "opentelemetry.instrumentation.sqlalchemy"


def _run(sentry: SentryReceiver, otlp: OtlpHttpReceiver, **env: str) -> dict[str, Any]:
    result = run_script(
        "sqlalchemy_app.py",
        env=app_env(
            SENTRY_DSN=sentry.dsn,
            SENTRY_TRACES_SAMPLE_RATE="1.0",
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{otlp.url}/v1/traces",
            **env,
        ),
    )
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    sentry.wait_for(lambda: len(sentry.transactions()) == 2)
    return shown


def _statement_spans(otlp: OtlpHttpReceiver) -> list[OtlpSpan]:
    otlp.wait_for(
        lambda: any(s.attributes.get("db.statement") == "SELECT 'thread'" for s in otlp.spans())
    )
    return [span for span in otlp.spans() if span.attributes.get("db.statement") in STATEMENTS]


def _by_name(sentry: SentryReceiver) -> dict[str, dict[str, Any]]:
    return {transaction["transaction"]: transaction for transaction in sentry.transactions()}


def test_one_span_per_statement_in_sentry_and_otlp_as_contrib_names_them(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    shown = _run(sentry, otlp)
    assert shown == {"suppressed": [True], "enabled_after": True}
    transactions = _by_name(sentry)
    statements = transactions["statements"]
    root = statements["contexts"]["trace"]["span_id"]
    db = [span for span in statements["spans"] if span["op"] == "db"]
    assert [span["description"] for span in db] == STATEMENTS
    assert {span["origin"] for span in db} == {"auto.db.sqlalchemy"}
    assert {span["parent_span_id"] for span in db} == {root}
    assert [span.get("status") for span in db] == [None] * 4 + ["internal_error"]
    (thread_span,) = [s for s in transactions["thread"]["spans"] if s["op"] == "db"]
    assert thread_span["description"] == "SELECT 'thread'"
    ours = _statement_spans(otlp)
    assert sorted(span.attributes["db.statement"] for span in ours) == sorted(STATEMENTS)
    assert {span.scope for span in ours} == {OURS}  # no driver (sqlite3) duplicate

    otlp_ours = {span.attributes["db.statement"]: span for span in ours}
    with OtlpHttpReceiver() as contrib_otlp, SentryReceiver() as contrib_sentry:
        _run(
            contrib_sentry,
            contrib_otlp,
            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="scopetel_sqlalchemy",
        )
        theirs = [s for s in _statement_spans(contrib_otlp) if s.scope == CONTRIB]
        contrib_db = [
            span
            for span in _by_name(contrib_sentry)["statements"]["spans"]
            if span["op"] == "db" and span["description"] in STATEMENTS
        ]
    assert len(theirs) == len(STATEMENTS)  # contrib is back when ours is disabled
    for span in theirs:
        mine = otlp_ours[span.attributes["db.statement"]]
        assert (mine.name, mine.kind, mine.attributes) == (span.name, span.kind, span.attributes)
    # the Sentry spans: the same but for the origin (sentry_sdk's for ours)
    assert [(s["description"], s.get("status"), s["data"]) for s in contrib_db] == [
        (s["description"], s.get("status"), s["data"]) for s in db
    ]
