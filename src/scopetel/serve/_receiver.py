"""``Receiver``: the HTTP server, JSON-lines sink and printer, started and stopped together."""

import collections
import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Final, Self, TextIO

from scopetel.serve._http import ReceiverServer
from scopetel.serve._otlp import TRACES_PATH
from scopetel.serve._printer import Printer
from scopetel.serve._records import Received
from scopetel.serve._sink import JsonLinesSink
from scopetel.serve._style import ColorMode, Style

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_PORT", "HostNotAllowed", "Receiver", "is_loopback"]

DEFAULT_PORT: Final = 8969
DEFAULT_MAX_BODY: Final = 20 * 1024 * 1024
_KEPT: Final = 10_000  # records kept in memory for ``records()``


class HostNotAllowed(ValueError):
    """A host that is not a loopback address, without ``allow_remote``."""


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address."""
    return _all_loopback(_resolve(host))


def _all_loopback(addresses: list[tuple[str, socket.AddressFamily]]) -> bool:
    return all(ipaddress.ip_address(address).is_loopback for address, _ in addresses)


def _resolve(host: str) -> list[tuple[str, socket.AddressFamily]]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [(str(info[4][0]).split("%", 1)[0], info[0]) for info in infos]


class Receiver:
    """A local Sentry + OTLP/HTTP receiver that prints what arrives and records it.

    ``start()`` binds (``port=0`` picks a free port) and serves from a daemon thread;
    ``close()`` stops it; also a context manager. OTLP spans are recorded at once and
    printed when their trace has been quiet for ``otlp_settle`` seconds. Raises
    ``HostNotAllowed`` for a non-loopback ``host`` unless ``allow_remote``, and
    ``OSError`` when it cannot bind or open the JSON-lines file.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        out: TextIO | None = None,
        jsonl: Path | None = None,
        quiet: bool = False,
        color: ColorMode = "auto",
        allow_remote: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
        otlp_settle: float = 1.0,
    ) -> None:
        try:
            addresses = _resolve(host)
        except OSError as error:
            raise HostNotAllowed(f"cannot resolve host {host!r}: {error}") from None
        if not allow_remote and not _all_loopback(addresses):
            raise HostNotAllowed(
                f"refusing to listen on {host!r}, which is not a loopback address: "
                "anyone who can reach it could send data (use --allow-remote to do it anyway)"
            )
        self.host = host
        self._address, self._family = addresses[0]
        self._port = port
        stream = out if out is not None else sys.stdout
        style = Style.for_stream(stream, color)
        self.printer = Printer(stream, style, quiet=quiet, otlp_settle=otlp_settle)
        self.jsonl = jsonl
        self._sink: JsonLinesSink | None = None
        self._max_body = max_body
        self._server: ReceiverServer | None = None
        self._thread: threading.Thread | None = None
        self._records: collections.deque[Received] = collections.deque(maxlen=_KEPT)
        self._counts: collections.Counter[str] = collections.Counter()
        self._changed = threading.Condition()

    def start(self) -> Self:
        if self.jsonl is not None:
            self._sink = JsonLinesSink(self.jsonl)
        try:
            self._server = ReceiverServer(
                (self._address, self._port),
                self._family,
                accept=self._accept,
                refuse=self._refuse,
                max_body=self._max_body,
            )
        except BaseException:
            if self._sink is not None:
                self._sink.close()
            raise
        self._server.index_text = self.banner() + "\n"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="scopetel-serve",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL for clients (a wildcard host is shown as the loopback address)."""
        address = ipaddress.ip_address(self._address)
        if address.is_unspecified:
            address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"http://{host}:{self.port}"

    @property
    def dsn(self) -> str:
        return self.url.replace("http://", "http://scopetel@", 1) + "/1"

    @property
    def otlp_traces_endpoint(self) -> str:
        return self.url + TRACES_PATH

    def banner(self) -> str:
        lines = [
            f"scopetel serve listening on {self.url}",
            f"  Sentry DSN:   {self.dsn}",
            f"  OTLP traces:  {self.otlp_traces_endpoint}"
            f"  (OTEL_EXPORTER_OTLP_ENDPOINT={self.url})",
            f"  JSON lines:   {self.jsonl.resolve() if self.jsonl else '(off)'}",
        ]
        return "\n".join(lines)

    def records(self) -> list[Received]:
        """What arrived so far (the last 10,000 records), oldest first."""
        with self._changed:
            return list(self._records)

    def counts(self) -> dict[str, int]:
        """How many records of each kind arrived."""
        with self._changed:
            return dict(self._counts)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float) -> bool:
        """Wait until ``predicate(records())`` holds; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._records)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def _accept(self, records: list[Received]) -> None:
        if self._sink is not None:
            self._sink.write(records)
        with self._changed:
            self._records.extend(records)
            self._counts.update(record.kind for record in records)
            self._changed.notify_all()
        self.printer.show(records)

    def _refuse(self, method: str, path: str, status: int, reason: str) -> None:
        self.printer.message(f"refused {method} {path}: {status} {reason}")

    def close(self) -> None:
        """Stop serving and close the JSON-lines file; idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._port = int(server.server_address[1])
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.printer.close()
        if self._sink is not None:
            self._sink.close()

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
