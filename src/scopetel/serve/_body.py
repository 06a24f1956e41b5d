"""Request bodies: read them within a size limit, then undo their ``Content-Encoding``.

Both steps are bounded by the same limit, so neither a huge upload nor a small
compressed "bomb" can make the receiver hold more than ``limit`` bytes.
"""

import zlib
from email.message import Message
from io import BufferedIOBase

from scopetel.serve._errors import RequestError

__all__ = ["decode_body", "read_body"]

_MAX_LINE = 1024  # a chunk-size or trailer line


def read_body(rfile: BufferedIOBase, headers: Message, limit: int) -> bytes:
    """The raw request body (``Content-Length`` or chunked); ``RequestError`` otherwise.

    A 413 is raised before reading when the declared length is over ``limit``; the
    caller must then close the connection, since the body was not consumed.
    """
    encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
    if encoding == "chunked":
        return _read_chunked(rfile, limit)
    if encoding:
        raise RequestError(501, f"unsupported Transfer-Encoding {encoding!r}")
    declared = headers.get("Content-Length")
    if declared is None:
        raise RequestError(411, "a Content-Length header is required")
    try:
        length = int(declared)
    except ValueError:
        raise RequestError(400, f"invalid Content-Length {declared!r}") from None
    if length < 0:
        raise RequestError(400, f"invalid Content-Length {declared!r}")
    if length > limit:
        raise RequestError(413, f"body of {length} bytes exceeds the limit of {limit} bytes")
    data = rfile.read(length)
    if len(data) < length:
        raise RequestError(400, f"body ended after {len(data)} of {length} bytes")
    return data


def _read_chunked(rfile: BufferedIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(_MAX_LINE)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise RequestError(400, f"invalid chunk size {size_text[:32]!r}") from None
        if size == 0:
            break
        total += size
        if total > limit:
            raise RequestError(413, f"chunked body exceeds the limit of {limit} bytes")
        chunk = rfile.read(size)
        if len(chunk) < size or rfile.readline(_MAX_LINE).strip():
            raise RequestError(400, "chunked body is truncated or malformed")
        parts.append(chunk)
    while rfile.readline(_MAX_LINE).strip():  # trailers, up to the blank line
        pass
    return b"".join(parts)


def decode_body(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo ``gzip``/``deflate`` (also stacked, e.g. ``gzip, gzip``); others get a 415."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, zlib.MAX_WBITS | 16, "gzip", limit)
        elif coding == "deflate":
            # RFC 9110 deflate is zlib-wrapped, but raw deflate is common in the wild.
            wrapped = data[:1] and (data[0] & 0x0F) == 8 and int.from_bytes(data[:2]) % 31 == 0
            data = _inflate(data, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS, "deflate", limit)
        elif coding != "identity":
            raise RequestError(
                415, f"unsupported Content-Encoding {coding!r} (use gzip, deflate or none)"
            )
    return data


def _inflate(data: bytes, wbits: int, name: str, limit: int) -> bytes:
    out = bytearray()
    rest = data
    while rest:  # gzip allows several members one after another
        inflater = zlib.decompressobj(wbits)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as error:
            raise RequestError(400, f"body is not valid {name}: {error}") from None
        if len(out) > limit:
            raise RequestError(413, f"decompressed body exceeds the limit of {limit} bytes")
        if not inflater.eof:
            raise RequestError(400, f"body is not valid {name}: truncated stream")
        rest = inflater.unused_data if name == "gzip" else b""
    return bytes(out)
