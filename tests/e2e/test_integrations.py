"""Under ``opentelemetry-instrument`` OpenTelemetry loads the instrumentors; an
application's own ``sentry_sdk.init(integrations=[...])`` still applies their options."""

import pytest

from tests.e2e.harness import app_env, run_script
from tests.support.sentry_receiver import SentryReceiver


@pytest.mark.parametrize(
    ("argument", "expected"),
    [("default", ["reorder failed"]), ("warning", ["stock below threshold", "reorder failed"])],
)
def test_init_inside_an_instrumented_app_applies_integration_options(
    sentry: SentryReceiver, argument: str, expected: list[str]
) -> None:
    result = run_script("integrations_app.py", argument, env=app_env(SENTRY_DSN=sentry.dsn))
    assert result.returncode == 0, result.stderr
    assert "app done" in result.stdout
    sentry.wait_for(lambda: len(sentry.events()) == len(expected))
    events = sentry.events()
    assert [event["logentry"]["formatted"] for event in events] == expected
    assert "logging" in events[0]["sdk"]["integrations"]
