"""The ``scopetel`` command. ``scopetel serve`` runs the local receiver until Ctrl-C or SIGTERM.

Exit codes: 0 after a normal stop, 1 when the receiver cannot start (port in use, file
not writable), 2 for a usage error (bad option, refused host).
"""

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Final

from scopetel._version import VERSION
from scopetel.serve import DEFAULT_MAX_BODY, DEFAULT_PORT, HostNotAllowed, Receiver

__all__ = ["main"]

DEFAULT_JSONL: Final = "scopetel-serve.jsonl"
_MB: Final = 1024 * 1024


class _Stop(Exception):
    """Raised by the SIGTERM and SIGINT handler to leave the wait."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args, parser)
    parser.print_help(sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scopetel", description="scopetel: Sentry's developer experience on OpenTelemetry."
    )
    parser.add_argument("--version", action="version", version=f"scopetel {VERSION}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run a local receiver for Sentry envelopes and OTLP/HTTP traces",
        description=(
            "Receive Sentry envelopes (POST /api/<project>/envelope/) and OTLP/HTTP traces "
            "(POST /v1/traces, protobuf or JSON); print transactions as span trees and errors "
            "as one-line summaries, and append every item to a JSON-lines file."
        ),
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port; 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--jsonl",
        metavar="PATH",
        default=DEFAULT_JSONL,
        help="JSON-lines file to append to (default: %(default)s)",
    )
    serve.add_argument("--no-jsonl", action="store_true", help="do not write a JSON-lines file")
    serve.add_argument(
        "--quiet", action="store_true", help="print only the start-up lines and refusals"
    )
    serve.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colours (default: auto, only on a terminal)",
    )
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow a --host that is not a loopback address"
    )
    serve.add_argument(
        "--exit-after", metavar="SECONDS", type=_positive, help="stop by itself after SECONDS"
    )
    serve.add_argument(
        "--max-body-mb",
        metavar="MB",
        type=_positive,
        default=DEFAULT_MAX_BODY / _MB,
        help="largest accepted body, compressed or not (default: %(default)g)",
    )
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {value}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    logging.basicConfig(level=logging.WARNING, format="scopetel serve: %(levelname)s %(message)s")
    jsonl = None if args.no_jsonl else Path(args.jsonl)
    try:
        receiver = Receiver(
            args.host,
            args.port,
            jsonl=jsonl,
            quiet=args.quiet,
            color=args.color,
            allow_remote=args.allow_remote,
            max_body=int(args.max_body_mb * _MB),
        )
    except HostNotAllowed as error:
        parser.exit(2, f"scopetel serve: {error}\n")
    try:
        receiver.start()
    except OSError as error:
        reason = error.strerror or str(error)
        if error.filename:  # the JSON-lines file or its directory
            problem = f"cannot write {error.filename}"
        else:
            problem = f"cannot listen on {args.host}:{args.port}"
        print(f"scopetel serve: {problem}: {reason}", file=sys.stderr)
        return 1
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = _handle_signals(_raise_stop) if in_main_thread else None
    try:
        receiver.printer.message(receiver.banner())
        receiver.printer.message(
            "Press Ctrl-C to stop."
            if args.exit_after is None
            else f"Stopping after {args.exit_after:g} s."
        )
        threading.Event().wait(args.exit_after)
    except _Stop:
        pass
    finally:
        if in_main_thread:
            _handle_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        receiver.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
    counts = receiver.counts()
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "nothing"
    receiver.printer.message(f"scopetel serve stopped; received {summary}")
    return 0


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _handle_signals(handler: _Handler) -> tuple[_Handler, _Handler]:
    """Set one handler for SIGTERM and SIGINT; the previous two handlers."""
    return signal.signal(signal.SIGTERM, handler), signal.signal(signal.SIGINT, handler)
