"""The sentry_sdk corpus: real sentry-sdk 2.75 and scopetel (through the no-edit
``sentry_sdk`` of scopetel-sentry-sdk) send the same data (see ``summary``)."""

import pytest

from tests.compat.conftest import CorpusRuns
from tests.compat.gaps import known_gaps, mismatches, relay_problems
from tests.compat.runner import EXPECTED, SENTRY_SDK_PYTHON, run_script, scripts

SCRIPTS = scripts()
COMPARE_GAPS, RELAY_GAPS = known_gaps()


def _gap(script: str, gaps: dict[str, str]) -> pytest.ParameterSet:
    if script in gaps:
        return pytest.param(script, marks=pytest.mark.xfail(reason=gaps[script], strict=True))
    return pytest.param(script)


def _report(problems: list[str], stderr: str) -> str:
    shown = "\n  ".join(problems[:25]) + (
        f"\n  … {len(problems) - 25} more" if problems[25:] else ""
    )
    return f"\n  {shown}\n--- stderr (tail) ---\n{stderr[-2000:]}"


@pytest.mark.corpus_side("sentry_sdk")
@pytest.mark.skipif(
    not SENTRY_SDK_PYTHON.exists(), reason=f"{SENTRY_SDK_PYTHON} missing: run bash scripts/setup.sh"
)
@pytest.mark.parametrize("script", SCRIPTS)
def test_sentry_sdk_still_sends_the_recorded_data(corpus_runs: CorpusRuns, script: str) -> None:
    run = corpus_runs.get("sentry_sdk", script)
    problems = mismatches(run)
    if problems:  # sentry-sdk's own worker drops items on a starved machine: one more run
        run = run_script(script, SENTRY_SDK_PYTHON)
        problems = mismatches(run)
    assert not problems, "re-record with python -m tests.compat.record" + _report(
        problems, run.stderr
    )


@pytest.mark.corpus_side("scopetel")
@pytest.mark.parametrize("script", [_gap(s, COMPARE_GAPS) for s in SCRIPTS])
def test_scopetel_sends_what_sentry_sdk_sent(corpus_runs: CorpusRuns, script: str) -> None:
    run = corpus_runs.get("scopetel", script)
    problems = mismatches(run)
    assert not problems, _report(problems, run.stderr)


@pytest.mark.corpus_side("scopetel")
@pytest.mark.parametrize("script", [_gap(s, RELAY_GAPS) for s in SCRIPTS])
def test_scopetel_events_pass_relay_normalization(corpus_runs: CorpusRuns, script: str) -> None:
    run = corpus_runs.get("scopetel", script)
    problems = relay_problems(run)
    assert not problems, _report(problems, run.stderr)


def test_every_script_has_a_recording_and_no_recording_is_stale() -> None:
    recorded = {path.stem for path in EXPECTED.glob("*.json")}
    assert recorded == set(SCRIPTS)
    assert len(SCRIPTS) >= 60


def test_known_gaps_name_only_corpus_scripts() -> None:
    assert set(COMPARE_GAPS) | set(RELAY_GAPS) <= set(SCRIPTS)
