"""The direct keep-alive connections: reuse, servers closing them, odd answers."""

import gzip
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scopetel_exporter_sentry import HttpTransport, _connections
from scopetel_exporter_sentry.envelope import parse_envelope
from sentry_builders import event

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver


def test_envelopes_share_one_connection_until_the_server_says_close(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(), Reply(headers={"Connection": "close"}))
    transport = make_transport(receiver, pool_size=1)
    for n in range(4):
        transport.capture_envelope(event(f"e{n}"))
        assert transport.flush(timeout=5)
    ports = [request.connection[1] for request in receiver.requests]
    assert [request.status for request in receiver.requests] == [200] * 4
    assert ports[0] == ports[1] != ports[2] == ports[3]
    assert not transport.client_reports


class _Silent(BaseHTTPRequestHandler):
    """Answers 200 with a chunked body, then closes the connection without saying so
    (as a server dropping idle keep-alive connections does)."""

    protocol_version = "HTTP/1.1"
    server: "_SilentServer"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(gzip.decompress(body))
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"2\r\n{}\r\n0\r\n\r\n")
        self.close_connection = True
        self.server.answered.release()


class _SilentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Silent)
        self.answered = threading.Semaphore(0)
        self.bodies: list[bytes] = []


@pytest.fixture
def silent() -> Iterator[_SilentServer]:
    server = _SilentServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_connection_the_server_dropped_while_idle_is_not_used(
    silent: _SilentServer, make_transport: MakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_connections, "IDLE_CHECK", 0.0)  # check every reuse
    port = silent.server_address[1]
    transport = make_transport(f"http://public@127.0.0.1:{port}/1", max_retries=0, pool_size=1)
    for n in range(3):
        transport.capture_envelope(event(f"e{n}"))
        assert transport.flush(timeout=5)
        assert silent.answered.acquire(timeout=5)
        # The server closed its end; wait until this side sees it (EOF readable).
        route = transport._sender._route
        assert isinstance(route, _connections.Connections)
        sock, _ = route._idle[-1]
        sock.setblocking(True)
        sock.settimeout(5)
        assert sock.recv(1, socket.MSG_PEEK) == b""
    # Without the check the 2nd and 3rd would fail on the dead socket (no retries), and
    # a client report would follow.
    items = [item for body in silent.bodies for item in parse_envelope(body).items]
    assert [(item.type, item.json().get("message")) for item in items] == [
        ("event", "e0"),
        ("event", "e1"),
        ("event", "e2"),
    ]


def test_a_line_break_in_a_header_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="line break"):
        HttpTransport("http://public@127.0.0.1:9/1", client="scopetel/1\r\nX-Evil: 1")


def test_an_unreadable_ca_bundle_fails_the_sends_not_the_start(
    make_transport: MakeTransport, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.pem")
    transport = make_transport("https://public@127.0.0.1:9/1", ca_certs=missing, max_retries=0)
    transport.capture_envelope(event())
    transport.flush(timeout=5)  # the client report cannot be sent either
    assert transport.client_reports.counts() == {("network_error", "error"): 1}
