"""Web servers under ``opentelemetry-instrument``: gunicorn with two pre-forked workers
and ``--preload``, and uvicorn. Every request becomes a transaction (from whichever
worker served it) and an OTLP span with the same ids; incoming ``traceparent`` and
``sentry-trace`` headers are continued."""

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.e2e.harness import BIN, INSTRUMENT, Server, app_env, free_port
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import Reply, SentryReceiver

TRACE_W3C = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE_SENTRY = "5cf92f3577b34da6a3ce929d0e0e4737"
PARENT = "00f067aa0ba902b7"


def _get(url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = requests.get(url, headers=headers, timeout=5)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _continued(server: Server) -> list[dict[str, Any]]:
    """Two requests continuing a trace, one per header convention."""
    w3c = _get(f"{server.url}/w3c", {"traceparent": f"00-{TRACE_W3C}-{PARENT}-01"})
    sentry_headers = {
        "sentry-trace": f"{TRACE_SENTRY}-{PARENT}-1",
        "baggage": f"sentry-trace_id={TRACE_SENTRY},sentry-public_key=upstream,other=1",
    }
    sentry = _get(f"{server.url}/sentry", sentry_headers)
    assert (w3c["trace_id"], sentry["trace_id"]) == (TRACE_W3C, TRACE_SENTRY)
    return [w3c, sentry]


def _check_received(
    sentry: SentryReceiver, otlp: OtlpHttpReceiver, answers: list[dict[str, Any]]
) -> None:
    expected = {answer["span_id"] for answer in answers}
    sentry.wait_for(lambda: len(sentry.transactions()) >= len(answers))
    transactions = {t["contexts"]["trace"]["span_id"]: t for t in sentry.transactions()}
    assert set(transactions) == expected
    for answer in answers:
        transaction = transactions[answer["span_id"]]
        assert transaction["contexts"]["trace"]["trace_id"] == answer["trace_id"]
        assert transaction["contexts"]["trace"]["data"]["app.pid"] == answer["pid"]
        assert transaction["contexts"]["trace"]["op"] == "http.server"
    for trace_id in (TRACE_W3C, TRACE_SENTRY):
        (continued,) = [
            t for t in transactions.values() if t["contexts"]["trace"]["trace_id"] == trace_id
        ]
        assert continued["contexts"]["trace"]["parent_span_id"] == PARENT
    otlp.wait_for(lambda: expected <= {span.span_id for span in otlp.spans()})
    servers = {span.span_id: span for span in otlp.spans() if span.kind == 2}  # SERVER
    assert set(servers) == expected


def _check_instance_per_worker(sentry: SentryReceiver, otlp: OtlpHttpReceiver) -> None:
    """Each pre-forked worker is its own service instance, in Sentry and in OTLP alike
    (the master built the resource once, before forking them)."""
    to_sentry: dict[int, set[str]] = {}
    for transaction in sentry.transactions():
        pid = transaction["contexts"]["trace"]["data"]["app.pid"]
        instance = transaction["contexts"]["otel"]["resource"]["service.instance.id"]
        to_sentry.setdefault(pid, set()).add(instance)
    to_otlp: dict[int, set[str]] = {}
    for span in otlp.spans():
        if span.kind == 2:  # SERVER
            pid = span.attributes["app.pid"]
            to_otlp.setdefault(pid, set()).add(span.resource["service.instance.id"])
    assert to_sentry == to_otlp
    assert all(len(instances) == 1 for instances in to_sentry.values()), to_sentry
    assert len(set.union(*to_sentry.values())) == len(to_sentry) == 2, to_sentry


def test_gunicorn_preload_two_workers(
    tmp_path: Path, sentry: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    port = free_port()
    command = [str(INSTRUMENT), str(BIN / "gunicorn"), "-w", "2", "--preload"]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "3", "wsgi_app:application"]
    env = app_env(SENTRY_DSN=sentry.dsn, OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url)
    with Server(command, env, port, tmp_path / "gunicorn.log") as server:
        answers = _continued(server)
        with ThreadPoolExecutor(4) as pool:
            for _ in range(10):  # concurrent slow requests reach both workers
                batch = list(pool.map(_get, [f"{server.url}/slow?sleep=0.1"] * 4))
                answers += batch
                if len({answer["pid"] for answer in answers}) == 2:
                    break
        assert len({answer["pid"] for answer in answers}) == 2, server.output()
        _check_received(sentry, otlp, answers)
        _check_instance_per_worker(sentry, otlp)
        assert server.stop() == 0, server.output()
        assert "Traceback" not in server.output(), server.output()


def test_uvicorn(tmp_path: Path, sentry: SentryReceiver, otlp: OtlpHttpReceiver) -> None:
    port = free_port()
    command = [str(INSTRUMENT), str(BIN / "uvicorn"), "asgi_app:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    env = app_env(SENTRY_DSN=sentry.dsn, OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url)
    with Server(command, env, port, tmp_path / "uvicorn.log") as server:
        answers = _continued(server) + [_get(f"{server.url}/plain") for _ in range(3)]
        _check_received(sentry, otlp, answers)
        # contrib's ASGI message spans: left out of Sentry, recorded for OTLP
        sends = [span for span in otlp.spans() if span.name.endswith(" http send")]
        assert {span.parent_span_id for span in sends} == {a["span_id"] for a in answers}
        assert all(span.attributes.get("asgi.event.type") for span in sends)
        for transaction in sentry.transactions():
            assert not [s for s in transaction["spans"] if "http send" in s["description"]]
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
        assert server.stop() in (0, -signal.SIGTERM), server.output()
        assert "Finished server process" in server.output()
        assert "Traceback" not in server.output(), server.output()


def test_uvicorn_sigterm_flushes_what_is_queued(tmp_path: Path, otlp: OtlpHttpReceiver) -> None:
    # uvicorn re-raises SIGTERM with the default handler after a graceful shutdown, which
    # skips atexit: scopetel must flush when the server is done, before that happens.
    port = free_port()
    command = [str(INSTRUMENT), str(BIN / "uvicorn"), "asgi_app:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with SentryReceiver() as slow_sentry:
        slow_sentry.default = Reply(delay=0.2)  # envelopes queue up in the transport
        env = app_env(
            SENTRY_DSN=slow_sentry.dsn,
            SENTRY_SHUTDOWN_TIMEOUT="5",
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
        )
        with Server(command, env, port, tmp_path / "uvicorn.log") as server:
            answers = [_get(f"{server.url}/plain") for _ in range(6)]
            assert server.stop() in (0, -signal.SIGTERM), server.output()
        received = {t["contexts"]["trace"]["span_id"] for t in slow_sentry.transactions()}
        assert received == {answer["span_id"] for answer in answers}, server.output()


def test_gunicorn_sigterm_flushes_what_is_queued(tmp_path: Path, otlp: OtlpHttpReceiver) -> None:
    port = free_port()
    command = [str(INSTRUMENT), str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}"]
    command += ["--graceful-timeout", "8", "wsgi_app:application"]
    with SentryReceiver() as slow_sentry:
        slow_sentry.default = Reply(delay=0.2)  # envelopes queue up in the transport
        env = app_env(
            SENTRY_DSN=slow_sentry.dsn,
            SENTRY_SHUTDOWN_TIMEOUT="5",
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url,
        )
        with Server(command, env, port, tmp_path / "gunicorn.log") as server:
            answers = [_get(f"{server.url}/plain") for _ in range(6)]
            assert server.stop(timeout=15) == 0, server.output()
        received = {t["contexts"]["trace"]["span_id"] for t in slow_sentry.transactions()}
        assert received == {answer["span_id"] for answer in answers}, server.output()
