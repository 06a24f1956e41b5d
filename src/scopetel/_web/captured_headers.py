"""HTTP headers as attributes of the server spans scopetel starts, when asked for.

OpenTelemetry's variables, as contrib's web instrumentations read them:
``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST`` and ``..._SERVER_RESPONSE``
(comma-separated regular expressions matched against whole header names, any case)
name the headers to record, as ``http.request.header.<name>`` /
``http.response.header.<name>`` (lower case, ``-`` as ``_``; the values as a list);
the values of headers matching ``..._SANITIZE_FIELDS`` are recorded as ``[REDACTED]``.
Nothing is recorded when the variables are unset (the default), nor after a pattern
failed to compile (one warning). Read once (as contrib's
instrumentors read them); :func:`reset` forgets them.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
    get_custom_header_attributes,
    get_custom_headers,
    normalise_request_header_name,
    normalise_response_header_name,
)

LOGGER: Final = logging.getLogger("scopetel")
Attributes = dict[str, list[str]]
_PAIRS: Final = frozenset({tuple, list})
_TEXTS: Final = frozenset({str, bytes})


@dataclass(frozen=True)
class _Asked:
    request: list[str]
    response: list[str]
    sanitized: list[str]


_asked: list[_Asked] = []


def request_header_attributes(headers: Iterable[tuple[str, str]]) -> Attributes:
    """Attributes of the request headers asked for (``headers``: lower-case names)."""
    asked = _configuration()
    if not asked.request:
        return {}
    return _captured(headers, asked.request, asked.sanitized, normalise_request_header_name)


def response_header_attributes(headers: Iterable[tuple[str | bytes, str | bytes]]) -> Attributes:
    """Attributes of the response headers asked for (ASGI's bytes read as Latin-1)."""
    asked = _configuration()
    if not asked.response:
        return {}
    return _captured(headers, asked.response, asked.sanitized, normalise_response_header_name)


def reset() -> None:
    _asked.clear()


def _configuration() -> _Asked:
    if not _asked:
        _asked.append(
            _Asked(
                get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST),
                get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE),
                get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS),
            )
        )
    return _asked[0]


def _captured(
    headers: Iterable[Any],
    names: list[str],
    sanitized: Sequence[str],
    normalize: Callable[[str], str],
) -> Attributes:
    grouped: dict[str, list[str]] = {}
    for pair in headers:  # what a server would refuse (not a pair of texts) is left out
        if type(pair) not in _PAIRS or len(pair) != 2:
            continue
        name, value = pair
        if type(name) in _TEXTS and type(value) in _TEXTS:
            grouped.setdefault(_text(name).lower(), []).append(_text(value))
    try:
        return get_custom_header_attributes(grouped, names, list(sanitized), normalize)
    except Exception as error:  # a bad pattern: reported once per process, not raised
        LOGGER.warning("scopetel: HTTP header capture ignored: %s", error)
        _asked[:] = [_Asked([], [], [])]
        return {}


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if type(value) is bytes else str(value)
