"""Outgoing HTTP requests in Sentry's terms: the span data sentry_sdk's HTTP client
integrations send (stdlib, httpx, requests through urllib3), from OpenTelemetry's
HTTP client conventions.

sentry_sdk splits the URL: ``url`` (scheme, host and path, without credentials),
``http.query`` and ``http.fragment``; it names the method ``http.method``, the status
code ``http.response.status_code``, and adds the ``reason`` phrase. The query keeps
its names and values here; the scrubber (``_events.scrubber``) filters the private
ones before anything leaves, as it does for every string.
"""

from http import HTTPStatus
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from scopetel._semconv.conventions import (
    HTTP_METHOD,
    HTTP_STATUS_CODE,
    URL_FULL,
    Attrs,
    client_url,
    first_str,
    http_method,
    http_status_code,
)

URL: Final = "url"
QUERY: Final = "http.query"
FRAGMENT: Final = "http.fragment"
METHOD: Final = "http.method"
STATUS_CODE: Final = "http.response.status_code"
REASON: Final = "reason"
_URL_QUERY: Final = "url.query"
_URL_FRAGMENT: Final = "url.fragment"

REPLACED: Final = frozenset({*URL_FULL, *HTTP_METHOD, *HTTP_STATUS_CODE})
"""Convention attributes the Sentry keys stand for (left out of a client span's data)."""


def split_url(url: str) -> tuple[str, str, str]:
    """``(url without credentials, query or fragment; query; fragment)``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", "")), parts.query, parts.fragment
    except ValueError:  # an invalid host (an unclosed IPv6 bracket): split by hand
        rest, _, fragment = url.partition("#")
        base, _, query = rest.partition("?")
        return base, query, fragment


def reason(code: int) -> str | None:
    """The standard reason phrase of an HTTP status code (``404`` → ``Not Found``)."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return None


def client_data(attrs: Attrs) -> dict[str, object]:
    """The Sentry data keys of an outgoing request (only those the span can tell)."""
    result: dict[str, object] = {}
    method = http_method(attrs)
    if method is not None:
        result[METHOD] = method
    full = first_str(attrs, URL_FULL)
    if full is not None:
        result[URL], result[QUERY], result[FRAGMENT] = split_url(full)
    else:
        url = client_url(attrs)
        if url is not None:
            result[URL] = url
            result[QUERY] = first_str(attrs, (_URL_QUERY,)) or ""
            result[FRAGMENT] = first_str(attrs, (_URL_FRAGMENT,)) or ""
    code = http_status_code(attrs)
    if code is not None:
        result[STATUS_CODE] = code
        phrase = reason(code)
        if phrase is not None:
            result[REASON] = phrase
    return result


def breadcrumb_level(code: object) -> str | None:
    """sentry_sdk's level of an HTTP breadcrumb: ``warning`` for 4xx, ``error`` for 5xx."""
    if isinstance(code, int) and not isinstance(code, bool):
        if 500 <= code <= 599:
            return "error"
        if 400 <= code <= 499:
            return "warning"
    return None


def client_breadcrumb(attrs: Attrs) -> dict[str, object]:
    """An ``httplib`` breadcrumb (type ``http``) of a finished outgoing request."""
    data = client_data(attrs)
    crumb: dict[str, object] = {"type": "http", "category": "httplib", "data": data}
    level = breadcrumb_level(data.get(STATUS_CODE))
    if level is not None:
        crumb["level"] = level
    return crumb
