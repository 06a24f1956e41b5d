"""HttpTransport over TLS: ``ca_certs``, and ``https_proxy`` tunnelling with CONNECT.

The receiver serves HTTPS with a certificate for ``localhost`` from a throwaway test CA
(``tls/``); the proxy is a real loopback CONNECT tunnel (``tunnel_proxy.py``).
"""

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sentry_builders import event
from tunnel_proxy import TunnelProxy

from conftest import MakeTransport
from tests.support.sentry_receiver import SentryReceiver

TLS = Path(__file__).parent / "tls"
CA = str(TLS / "ca.pem")


@pytest.fixture
def https_receiver() -> Iterator[SentryReceiver]:
    receiver = SentryReceiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    server = receiver._server
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with receiver:
        yield receiver


@pytest.fixture
def proxy() -> Iterator[TunnelProxy]:
    with TunnelProxy() as running:
        yield running


def https_dsn(receiver: SentryReceiver) -> str:
    return f"https://public@localhost:{receiver.port}/42"


def test_ca_certs_verifies_the_server(
    https_receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(https_dsn(https_receiver), ca_certs=CA)
    transport.capture_envelope(event("over tls"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in https_receiver.events()] == ["over tls"]
    assert https_receiver.errors == []


def test_an_unknown_ca_is_refused_and_counted(
    https_receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(https_dsn(https_receiver), max_retries=0)  # certifi's CAs
    transport.capture_envelope(event("refused"))
    assert transport.flush(timeout=5)
    assert https_receiver.envelopes == []
    assert transport.client_reports.counts() == {("network_error", "error"): 1}


def test_https_proxy_tunnels_with_connect(
    https_receiver: SentryReceiver, proxy: TunnelProxy, make_transport: MakeTransport
) -> None:
    transport = make_transport(https_dsn(https_receiver), https_proxy=proxy.url, ca_certs=CA)
    transport.capture_envelope(event("tunnelled"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in https_receiver.events()] == ["tunnelled"]
    assert proxy.tunnels == [f"localhost:{https_receiver.port}"]


def test_https_proxy_from_the_environment(
    https_receiver: SentryReceiver,
    proxy: TunnelProxy,
    make_transport: MakeTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    transport = make_transport(https_dsn(https_receiver), ca_certs=CA)
    transport.capture_envelope(event("via the environment"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in https_receiver.events()] == ["via the environment"]
    assert proxy.tunnels == [f"localhost:{https_receiver.port}"]


def test_no_proxy_bypasses_the_proxy(
    https_receiver: SentryReceiver,
    proxy: TunnelProxy,
    make_transport: MakeTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    transport = make_transport(https_dsn(https_receiver), ca_certs=CA)
    transport.capture_envelope(event("direct"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in https_receiver.events()] == ["direct"]
    assert proxy.tunnels == []
