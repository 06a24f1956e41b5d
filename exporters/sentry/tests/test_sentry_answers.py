"""Reading Sentry's (or a proxy's) answers off a real socket: every framing HTTP/1.x
allows, byte by byte as well as at once, and what must fail as a network error."""

import http.client
import socket
import threading
from collections.abc import Iterator

import pytest
from scopetel_exporter_sentry._response import BadAnswer, read_answer

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    client.settimeout(5)
    yield client, server
    client.close()
    server.close()


def _serve(server: socket.socket, data: bytes, *, piecewise: bool, close: bool) -> None:
    def write() -> None:
        try:
            if piecewise:
                for index in range(len(data)):
                    server.sendall(data[index : index + 1])
            else:
                server.sendall(data)
            if close:
                server.shutdown(socket.SHUT_WR)
        except OSError:  # the reader gave up and the test closed the pair
            pass

    threading.Thread(target=write, daemon=True).start()


CASES = {
    "content-length": (HEAD + b"Content-Length: 5\r\n\r\nhello", False),
    "chunked with trailers": (
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
        False,
    ),
    "to the end": (HEAD + b"\r\nhello, until the connection ends", True),
    "interim answer first": (
        b"HTTP/1.1 100 Continue\r\n\r\n" + HEAD + b"Content-Length: 2\r\n\r\n{}",
        False,
    ),
    "HTTP/1.0": (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", True),
    "connection close": (HEAD + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}", True),
    "no content": (b"HTTP/1.1 204 No Content\r\n\r\n", False),
}


@pytest.mark.parametrize("piecewise", [False, True], ids=["at once", "byte by byte"])
@pytest.mark.parametrize("case", list(CASES))
def test_answers_are_read_to_their_end(pair, case: str, piecewise: bool) -> None:
    client, server = pair
    data, closes = CASES[case]
    _serve(server, data, piecewise=piecewise, close=closes)
    answer = read_answer(client)
    assert answer.status in (200, 204)
    assert answer.will_close is closes


@pytest.mark.parametrize("case", [case for case, (_, closes) in CASES.items() if not closes])
def test_bytes_after_an_answer_keep_its_connection_from_being_reused(pair, case: str) -> None:
    """Nothing may follow an answer before the next request: whatever does belongs to no
    request of ours, so the connection is closed rather than carry it into the next."""
    client, server = pair
    _serve(server, CASES[case][0] + b"HTTP/1.1 200 OK\r\n", piecewise=False, close=False)
    assert read_answer(client).will_close is True


def test_the_transport_s_headers_are_found_whatever_their_case_and_repeats(pair) -> None:
    client, server = pair
    _serve(
        server,
        b"HTTP/1.1 429 Too Many Requests\r\nx-sentry-rate-limits: 60:transaction\r\n"
        b"X-Sentry-Rate-Limits: 10:error\r\nRETRY-AFTER:  30 \r\nX-Folded: a\r\n b\r\n"
        b"Content-Length: 0\r\n\r\n",
        piecewise=False,
        close=False,
    )
    answer = read_answer(client)
    assert answer.status == 429
    assert answer.headers == {
        b"x-sentry-rate-limits": b"60:transaction, 10:error",
        b"retry-after": b"30",
    }


def test_two_answers_on_one_keep_alive_connection(pair) -> None:
    client, server = pair
    first = HEAD + b"Content-Length: 2\r\n\r\n{}"
    second = HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    for answer in (first, second):  # each sent after the previous one was read
        _serve(server, answer, piecewise=True, close=False)
        assert read_answer(client).will_close is False


@pytest.mark.parametrize(
    "data",
    [
        b"garbage\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        HEAD + b"no colon here\r\n\r\n",
        HEAD + b"Content-Length: -1\r\n\r\n",
        HEAD + b"Content-Length: many\r\n\r\n",
        HEAD + b"Content-Length: 10\r\n\r\nshort",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"HTTP/1.1 200 OK\r\nContent-",
    ],
)
def test_malformed_or_cut_answers_raise_an_http_exception(pair, data: bytes) -> None:
    client, server = pair
    _serve(server, data, piecewise=False, close=True)
    with pytest.raises(http.client.HTTPException):
        read_answer(client)


def test_no_answer_at_all_is_a_remote_disconnect(pair) -> None:
    """What a pooled connection the server closed meanwhile gives (``RemoteDisconnected``
    is also a ``ConnectionResetError``)."""
    client, server = pair
    _serve(server, b"", piecewise=False, close=True)
    with pytest.raises(http.client.RemoteDisconnected):
        read_answer(client)


def test_an_endless_head_is_refused(pair) -> None:
    client, server = pair
    _serve(server, HEAD + b"X: " + b"a" * 70_000, piecewise=False, close=False)
    with pytest.raises(BadAnswer):
        read_answer(client)
