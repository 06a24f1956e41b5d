"""The compat harness itself: what a summary keeps, what Relay flags, what allowances do."""

from typing import Any

from tests.compat.compare import allow, differences
from tests.compat.gaps import relay_problems
from tests.compat.runner import Envelope, Run
from tests.compat.summary import summarize


def _run(*payloads: dict[str, Any], script: str = "example") -> Run:
    envelopes = [
        Envelope({"event_id": "a" * 32, "sent_at": "2026-01-01T00:00:00Z"}, [({"type": t}, p)])
        for t, p in ((p.pop("_type", "event"), p) for p in payloads)
    ]
    return Run(script, "python", 0, "", envelopes)


def _event(**fields: Any) -> dict[str, Any]:
    base = {"event_id": "b" * 32, "timestamp": 1767225600.5, "platform": "python"}
    return {**base, "level": "error", **fields}


def test_ids_times_ports_and_temporary_paths_are_left_out() -> None:
    one = summarize(
        _run(_event(message="GET http://127.0.0.1:40001/x from /tmp/compat-ab12/app.py"))
    )
    two = summarize(
        _run(_event(message="GET http://127.0.0.1:40777/x from /tmp/compat-zz99/app.py"))
    )
    assert differences(one, two) == []
    assert one["events"][0]["message"] == "GET http://127.0.0.1:<port>/x from <cwd>/app.py"
    assert "event_id" not in one["events"][0] and one["envelope_headers"]["event"] == [
        {"keys": ["event_id", "sent_at"]}
    ]


def test_a_different_tag_is_reported_with_its_path() -> None:
    one = summarize(_run(_event(message="m", tags={"tenant": "acme"})))
    two = summarize(_run(_event(message="m", tags={"tenant": "globex"})))
    assert differences(one, two) == ['events[0].tags.tenant: expected "acme", got "globex"']


def test_relay_flags_what_it_would_have_to_change() -> None:
    assert relay_problems(_run(_event(message="fine"))) == []
    problems = relay_problems(_run(_event(message="bad", level="loud")))
    assert problems and "invalid level" in problems[0]


def _transaction(chain: bool) -> dict[str, Any]:
    spans = [
        {"span_id": f"{i}" * 16, "parent_span_id": (f"{i - 1}" * 16) if chain and i else "r" * 16}
        for i in range(3)
    ]
    for span in spans:
        span.update(op="fetch", description="__main__.fetch")
    trace = {"trace_id": "t" * 32, "span_id": "r" * 16, "op": "task"}
    return {
        "_type": "transaction",
        "transaction": "crawl",
        "contexts": {"trace": trace},
        "spans": spans,
    }


def test_the_gather_allowance_accepts_siblings_for_a_chain_and_nothing_else() -> None:
    chain, siblings = summarize(_run(_transaction(True))), summarize(_run(_transaction(False)))
    assert differences(chain, siblings) != []
    allowed = "asyncio_gather_trace"
    assert differences(allow(allowed, chain), allow(allowed, siblings)) == []
    assert differences(allow("other", chain), allow("other", siblings)) != []
