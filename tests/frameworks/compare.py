"""Run the framework apps and one workload under scopetel and under sentry-sdk 2.75, and
dump everything each Sentry receiver got, phase by phase (start-up and idle, workload,
shutdown), for ``COMPARISON.md``::

    PYTHONPATH=. .venv/bin/python -m tests.frameworks.compare OUT_DIR [--idle 30]

sentry-sdk runs from a separate virtualenv (``COMPARE_SENTRY_VENV``, default
``/work/wt/frameworks-sentry-venv``) holding ``sentry-sdk==2.75.0`` and the app libraries
at the versions of ``uv.lock``; the apps call ``sentry_sdk.init()`` there (``apps/sdk.py``).
Not a test: it needs that virtualenv and takes a few minutes. ``summary.py`` condenses a
dump.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.e2e.harness import Server
from tests.frameworks import launch, workloads
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.redis_server import RedisServer
from tests.support.sentry_receiver import SentryReceiver


def _dump(receiver: SentryReceiver, marks: dict[str, int]) -> list[dict[str, Any]]:
    """Every delivered envelope with the phase it arrived in."""
    out = []
    for index, envelope in enumerate(receiver.envelopes):
        phase = next(name for name, end in marks.items() if index < end)
        items = [{"headers": i.headers, "json": i.json} for i in envelope.items]
        out.append({"phase": phase, "headers": envelope.headers, "items": items})
    return out


def run(runtime: launch.Runtime, out: Path, idle: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    names = ["blog", "service", *launch.POOLS]
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(out))
        otlp = stack.enter_context(OtlpHttpReceiver())
        receivers = {name: stack.enter_context(SentryReceiver()) for name in names}

        def env(name: str, **extra: str) -> dict[str, str]:
            return runtime.environment(receivers[name].dsn, otlp.url, REDIS_URL=redis.url, **extra)

        servers: dict[str, Server] = {
            "blog": stack.enter_context(launch.blog_server(runtime, env("blog"), out))
        }
        servers["service"] = stack.enter_context(
            launch.service_server(
                runtime, env("service", BLOG_URL=servers["blog"].url), out, "service"
            )
        )
        for pool in launch.POOLS:
            servers[pool] = stack.enter_context(launch.celery_worker(runtime, env(pool), out, pool))
        time.sleep(idle)
        marks = {name: {"start-up and idle": len(r.envelopes)} for name, r in receivers.items()}

        results: dict[str, Any] = {"blog": workloads.blog_workload(servers["blog"].url)}
        results["service"] = workloads.service_workload(servers["service"].url, blog_post=1)
        for pool in launch.POOLS:
            client = workloads.celery_client(redis.url, f"{runtime.name}-{pool}")
            workloads.celery_workload(client, pool)
            results[pool] = "done"
        time.sleep(5)  # transports send in the background
        for name, receiver in receivers.items():
            marks[name]["workload"] = len(receiver.envelopes)
        for name, server in servers.items():
            server.stop()
            (out / f"{name}.output.txt").write_text(server.output())
        time.sleep(1)
        for name, receiver in receivers.items():
            marks[name]["shutdown"] = len(receiver.envelopes) + 1
            dump = {"results": results.get(name), "errors": receiver.errors}
            dump["envelopes"] = _dump(receiver, marks[name])
            (out / f"{name}.json").write_text(json.dumps(dump, indent=1, default=str))
        spans = [{"name": s.name, "kind": s.kind, "scope": s.scope} for s in otlp.spans()]
        (out / "otlp.json").write_text(json.dumps(spans, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--only", choices=["scopetel", "sentry-sdk"])
    args = parser.parse_args()
    for runtime in (launch.SCOPETEL, launch.sentry_sdk_runtime()):
        if args.only in (None, runtime.name):
            run(runtime, args.out / runtime.name, args.idle)


if __name__ == "__main__":
    main()
