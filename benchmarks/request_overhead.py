"""Real-request overhead: the latency scopetel and sentry-sdk 2.75 add to a Flask app under
gunicorn and a FastAPI app under uvicorn, side by side.

``.venv/bin/python benchmarks/request_overhead.py [--quick] [--rounds N] [--requests N]
[--rate R] [--apps flask fastapi] [--candidate DIR] [--write]``

Each app (``benchmarks/apps``: per request 10 SQLAlchemy queries on SQLite and 10 spans
of the application's own, so 20 spans and a transaction, tracing at 100 %) runs in three
variants, as users run them: ``none`` (no SDK), ``scopetel`` (``opentelemetry-instrument
gunicorn …``/``… uvicorn …`` configured by ``SENTRY_DSN``, every installed
instrumentation loaded) and ``sentry_sdk`` (the same server from ``.venv-sentry-sdk``, the
app calling ``sentry_sdk.init`` with its default integrations). Both SDKs send to a
loopback Sentry stand-in (``benchmarks.backend_server``) in a process of its own.

A round starts each (app, variant) server in turn, the variants' order rotating from
round to round, sends ``--warmup`` requests, then two phases of ``--requests`` requests
one after the other from this process (a new connection per request for gunicorn's sync
worker, kept alive for uvicorn), recording each latency: *back to back* (each request
sent when the previous answered: the one worker saturated, so whatever an SDK does in
its own threads competes with the next request for the GIL, and an SDK whose queue
overflows does less work) and *paced* (``--rate`` requests started per second, 100 by
default: a worker with time to spare between requests, as most are). Per (app, load,
variant): median and p99 over the phase, the transactions the stand-in received, and
the CPU time the serving process spent per request (from ``/proc``,
``benchmarks.thread_cpu``): in its main thread, which serves the requests (gunicorn's
sync worker, uvicorn's event loop), and in all its other threads (the SDK's workers),
counted until 1.5 s after the phase's last request. The overhead of an SDK is its
latency minus ``none``'s in the same round and phase; the target (issue 15) is
scopetel's overhead ≤ 0.5x sentry-sdk's, at the median and at p99. Cells: median over
rounds <sub>min-max</sub>.

``--candidate DIR`` (an A/B test of a change) adds a fourth variant, ``candidate``:
scopetel as in ``scopetel`` but imported from the checkout ``DIR`` (a ``git worktree``
of another commit; its ``src`` directories go first on ``PYTHONPATH``, ahead of this
checkout's editable installs), rotating with the others in every round, and reports the
candidate's added latency over scopetel's, round by round: run-to-run noise (sentry-sdk's
added latency moves by ±0.4 ms between runs) cancels out of a ratio taken within a round.

``--write`` replaces this benchmark's section of ``benchmarks/RESULTS.md`` (between its
markers) and keeps the raw figures in ``benchmarks/request_overhead.json``.
"""

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: the project root, for ``benchmarks.*``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import thread_cpu

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "benchmarks" / "apps"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
RAW = ROOT / "benchmarks" / "request_overhead.json"
START, END = "<!-- request_overhead: start -->", "<!-- request_overhead: end -->"
BINS = {
    "none": ROOT / ".venv" / "bin",
    "scopetel": ROOT / ".venv" / "bin",
    "sentry_sdk": ROOT / ".venv-sentry-sdk" / "bin",
    "candidate": ROOT / ".venv" / "bin",
}
VARIANTS = ("none", "scopetel", "sentry_sdk")
MODES = ("back_to_back", "paced")
APPS_RUN = {
    "flask": "Flask 3 under `gunicorn -w 1` (sync worker)",
    "fastapi": "FastAPI under `uvicorn` (one process)",
}
TARGET = 0.5
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(*, first: list[Path] | None = None, **settings: str) -> dict[str, str]:
    dropped = ("SENTRY_", "OTEL_", "SCOPETEL_", "BENCH_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.pop("PYTHONPATH", None)
    path = os.pathsep.join(str(entry) for entry in [*(first or []), APPS])
    env.update(PYTHONPATH=path, PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
    env.update(settings)
    return env


def source_dirs(checkout: Path) -> list[Path]:
    """The import roots of a scopetel checkout: its packages' ``src`` directories."""
    found = [checkout / "src"]
    for group in ("exporters", "instrumentors", "compat"):
        found += sorted((checkout / group).glob("*/src"))
    if not (checkout / "src" / "scopetel" / "__init__.py").is_file():
        raise SystemExit(f"--candidate {checkout}: not a scopetel checkout")
    return found


def variants(args: argparse.Namespace) -> tuple[str, ...]:
    return VARIANTS + (("candidate",) if args.candidate else ())


class Backend:
    """``benchmarks.backend_server`` (healthy) in its own process."""

    def __init__(self) -> None:
        command = [sys.executable, "-m", "benchmarks.backend_server", "--lifetime", "7200"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=clean_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"backend did not start: {line!r}")
        self.port = int(line.split()[1])
        self.dsn = f"http://public@127.0.0.1:{self.port}/1"

    def stats(self) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", "/stats")
        stats: dict[str, Any] = json.loads(connection.getresponse().read())
        connection.close()
        return stats

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def server_command(app: str, variant: str, port: int) -> list[str]:
    bin_dir = BINS[variant]
    if app == "flask":
        command = [str(bin_dir / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}"]
        command += ["--graceful-timeout", "3", "flask_requests:app"]
    else:
        command = [str(bin_dir / "uvicorn"), "fastapi_requests:app", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    if variant in ("scopetel", "candidate"):
        command.insert(0, str(bin_dir / "opentelemetry-instrument"))
    return command


def start_server(
    app: str, variant: str, dsn: str, log: Path, candidate: Path | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    first = source_dirs(candidate) if variant == "candidate" and candidate else None
    sdk = "scopetel" if variant == "candidate" else variant
    env = clean_env(first=first, BENCH_SDK=sdk, SENTRY_RELEASE="bench@1.0.0")
    env["PATH"] = f"{BINS[variant]}{os.pathsep}{env.get('PATH', '')}"
    if variant != "none":
        env["SENTRY_DSN"] = dsn
    if sdk == "scopetel":
        env["SENTRY_TRACES_SAMPLE_RATE"] = "1.0"
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_command(app, variant, port),
            cwd=APPS,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{app}/{variant} exited:\n{log.read_text()[-3000:]}")
        try:
            status = get(port, None)[0]
            if status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"{app}/{variant} did not start:\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def get(port: int, connection: http.client.HTTPConnection | None) -> tuple[int, float]:
    """One ``GET /work``: (status, latency in ms), on ``connection`` or a new one."""
    own = connection is None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30) if own else connection
    assert conn is not None
    began = time.perf_counter()
    conn.request("GET", "/work")
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - began) * 1000
    if own or response.will_close:
        conn.close()
    return response.status, elapsed


def measure(app: str, variant: str, backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    """One server of ``app`` under ``variant``: a phase per load mode (``MODES``)."""
    log = Path(args.logs) / f"{app}-{variant}.log"
    candidate = Path(args.candidate).resolve() if args.candidate else None
    process, port = start_server(app, variant, backend.dsn, log, candidate)
    try:
        keep_alive = app == "fastapi"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(args.warmup):
            get(port, connection if keep_alive else None)
        worker = thread_cpu.serving_pid(process.pid, prefork=app == "flask")
        figures = {}
        for mode, rate in (("back_to_back", 0.0), ("paced", args.rate)):

            def send() -> float:
                status, elapsed = get(port, connection if keep_alive else None)
                if status != 200:
                    raise RuntimeError(f"{app}/{variant}: HTTP {status}")
                return elapsed

            figures[mode] = _phase(send, backend, worker, args.requests, rate)
        connection.close()
    finally:
        stop_server(process)
    return figures


def _phase(
    send: Callable[[], float], backend: Backend, worker: int, requests: int, rate: float
) -> dict[str, Any]:
    """``requests`` requests, back to back (``rate`` 0) or started ``rate`` per second."""
    before = backend.stats()
    cpu_before = thread_cpu.ThreadCpu.of(worker)
    latencies = []
    began = time.perf_counter()
    for index in range(requests):
        if rate:
            delay = began + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        latencies.append(send())
    time.sleep(1.5)  # let the SDK's batches of this phase arrive before counting
    after = backend.stats()
    main_s, others_s = thread_cpu.split(cpu_before, thread_cpu.ThreadCpu.of(worker))
    latencies.sort()
    sent = after["delivered"].get("transaction", 0) - before["delivered"].get("transaction", 0)
    return {
        "median_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "transactions": sent,
        "cpu_main_ms": main_s * 1000 / requests,
        "cpu_threads_ms": others_s * 1000 / requests,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    Path(args.logs).mkdir(parents=True, exist_ok=True)
    backend = Backend()
    rounds: list[dict[str, dict[str, Any]]] = []
    try:
        names = variants(args)
        for number in range(args.rounds):
            turn = number % len(names)
            order = names[turn:] + names[:turn]
            figures: dict[str, dict[str, Any]] = {}
            for app in args.apps:
                for variant in order:
                    figures[f"{app}/{variant}"] = measure(app, variant, backend, args)
                    print(f"round {number + 1} {app}/{variant}: {figures[f'{app}/{variant}']}")
            rounds.append(figures)
    finally:
        backend.stop()
    return {
        "rounds": rounds,
        "requests": args.requests,
        "rate": args.rate,
        "candidate": args.candidate and _commit(Path(args.candidate)),
    }


def _commit(checkout: Path) -> str:
    """``DIR (commit subject)`` of a candidate checkout, as the report names it."""
    command = ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"]
    found = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    return f"{checkout} ({found.strip() or 'not a git checkout'})"


def spread(values: list[float], digits: int = 2, suffix: str = "") -> str:
    middle = statistics.median(values)
    low, high = min(values), max(values)
    return f"{middle:.{digits}f}{suffix} <sub>{low:.{digits}f}-{high:.{digits}f}</sub>"


def render(raw: dict[str, Any], args: argparse.Namespace) -> str:
    rounds = raw["rounds"]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    head = (
        f"`.venv/bin/python benchmarks/request_overhead.py --rounds {args.rounds} "
        f"--requests {args.requests} --rate {args.rate:g}"
        f"{' --candidate DIR' if args.candidate else ''} --write` — {when}; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end."
    )
    lines = [START, "## Real requests: latency added to Flask and FastAPI apps", "", head, ""]
    lines += [__doc__.split("\n\n", 2)[2].split("``--write``")[0].strip(), ""]
    lines += [
        "| app | load | variant | median (ms) | p99 (ms) | added, median (ms) "
        "| added, p99 (ms) | CPU per request: serving thread (ms) "
        "| CPU per request: other threads (ms) | transactions received |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for app in args.apps:
        for mode in MODES:
            label = f"{APPS_RUN[app]} | {_load(mode, raw)}"
            added = _added(rounds, app, mode, variants(args))
            for variant in variants(args):
                cells = [r[f"{app}/{variant}"][mode] for r in rounds]
                extra = (
                    ["—", "—"]
                    if variant == "none"
                    else [spread(added[variant]["median_ms"]), spread(added[variant]["p99_ms"])]
                )
                sent = "—" if variant == "none" else str(sum(c["transactions"] for c in cells))
                cpu = [spread([c[k] for c in cells]) for k in ("cpu_main_ms", "cpu_threads_ms")]
                lines.append(
                    f"| {label} | `{variant}` | {spread([c['median_ms'] for c in cells])} "
                    f"| {spread([c['p99_ms'] for c in cells])} | {extra[0]} | {extra[1]} "
                    f"| {cpu[0]} | {cpu[1]} | {sent} |"
                )
            for stat, name in (("median_ms", "median"), ("p99_ms", "p99")):
                ratios = _ratios(added["scopetel"][stat], added["sentry_sdk"][stat])
                verdict = "**PASS**" if statistics.median(ratios) <= TARGET else "**FAIL**"
                verdicts.append(
                    f"| {APPS_RUN[app]}, {_load(mode, raw)}: added latency, {name} "
                    f"| ≤ {TARGET}x sentry-sdk's | {spread(ratios, suffix='x')} | {verdict} |"
                )
    lines += ["", "| target | goal | scopetel / sentry-sdk | result |", "|---|---|---|---|"]
    lines += verdicts
    if args.candidate:
        lines += ["", *_candidate_table(raw, args)]
    lines.append(END)
    return "\n".join(lines)


def _load(mode: str, raw: dict[str, Any]) -> str:
    return "back to back" if mode == "back_to_back" else f"{raw['rate']:g} requests/s"


def _ratios(ours: list[float], theirs: list[float]) -> list[float]:
    """Round by round, ``ours / theirs`` (infinite where theirs added nothing)."""
    return [a / b if b > 0 else float("inf") for a, b in zip(ours, theirs, strict=True)]


def _candidate_table(raw: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The A/B: the candidate's added latency over scopetel's, within each round."""
    lines = [
        f"Candidate: `{raw['candidate']}`.",
        "",
        "| app | load | statistic | candidate added / scopetel added "
        "| serving-thread CPU, candidate / scopetel |",
        "|---|---|---|---|---|",
    ]
    for app in args.apps:
        for mode in MODES:
            added = _added(raw["rounds"], app, mode, ("scopetel", "candidate"))
            cpu = [
                r[f"{app}/candidate"][mode]["cpu_main_ms"]
                / r[f"{app}/scopetel"][mode]["cpu_main_ms"]
                for r in raw["rounds"]
            ]
            for stat, name in (("median_ms", "median"), ("p99_ms", "p99")):
                ratios = _ratios(added["candidate"][stat], added["scopetel"][stat])
                lines.append(
                    f"| {APPS_RUN[app]} | {_load(mode, raw)} | {name} "
                    f"| {spread(ratios, suffix='x')} | {spread(cpu, suffix='x')} |"
                )
    return lines


def _added(
    rounds: list[dict[str, Any]], app: str, mode: str, names: tuple[str, ...] = VARIANTS
) -> dict[str, dict[str, list[float]]]:
    """Per variant and statistic: its latency minus ``none``'s, round by round."""
    base = [r[f"{app}/none"][mode] for r in rounds]
    return {
        variant: {
            stat: [
                r[f"{app}/{variant}"][mode][stat] - b[stat]
                for r, b in zip(rounds, base, strict=True)
            ]
            for stat in ("median_ms", "p99_ms")
        }
        for variant in names
    }


def write(section: str) -> None:
    text = RESULTS.read_text()
    if START in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests per second of the paced phase"
    )
    parser.add_argument("--quick", action="store_true", help="1 round of 200 requests")
    parser.add_argument("--apps", nargs="+", choices=list(APPS_RUN), default=list(APPS_RUN))
    parser.add_argument("--logs", default="/tmp/scopetel-request-overhead")
    parser.add_argument(
        "--candidate", help="a scopetel checkout to A/B against this one (a worktree)"
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests, args.warmup = 1, 200, 50
    raw = run(args)
    section = render(raw, args)
    print(section)
    if args.write and args.candidate:
        RAW.with_name("request_overhead_ab.json").write_text(json.dumps(raw, indent=1) + "\n")
    elif args.write:
        write(section)
        RAW.write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
