"""The ``request`` of Sentry events, and what personal data may go with it.

Every event carries the method, URL, query string and headers; the scrubber (after the
event processors, for events and transactions alike) then filters credentials, tokens
and, without ``send_default_pii``, the client's addresses. With ``send_default_pii``
the event also gets the cookies, the client's address (``env.REMOTE_ADDR`` and
``user.ip_address``) and the user the framework knows. A WSGI request's ``env`` also
names the server (``SERVER_NAME``, ``SERVER_PORT``), as sentry_sdk's does.
"""

from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final

from scopetel._client import get_client
from scopetel._context.scope import Event, Hint
from scopetel._web.info import RequestInfo

_DEFAULT_MAX_LENGTH: Final = 1024
UserGetter = Callable[[], dict[str, Any] | None]


def send_default_pii() -> bool:
    client = get_client()
    return bool(client is not None and client.options.send_default_pii)


def _max_length() -> int:
    client = get_client()
    return client.options.max_value_length if client is not None else _DEFAULT_MAX_LENGTH


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: max(limit - 3, 0)] + "..."


def sentry_request(info: RequestInfo, *, pii: bool, max_length: int) -> dict[str, Any]:
    """The Sentry ``request`` interface for ``info``."""
    headers: dict[str, str] = {}
    for name, value in info.headers:
        title = "-".join(part.capitalize() for part in name.split("-"))
        headers[title] = _clip(f"{headers[title]}, {value}" if title in headers else value, 8192)
    request: dict[str, Any] = {
        "url": _clip(info.url, max_length),
        "method": info.method,
        "headers": headers,
        "query_string": _clip(info.query, max_length) if info.query else info.no_query,
    }
    env = _env(info, pii=pii)
    if env is not None:
        request["env"] = env
    if pii:
        cookies = _cookies(info.header("cookie"), max_length)
        if cookies:
            request["cookies"] = cookies
    return request


def _env(info: RequestInfo, *, pii: bool) -> dict[str, str] | None:
    """``request.env`` as sentry_sdk sends it: a WSGI request's server name and port, and
    with PII its ``REMOTE_ADDR`` (the TCP peer); an ASGI request's client address, with
    PII only (the first forwarded hop, else the peer)."""
    if info.server_env is None:
        address = info.client_address if pii else None
        return {"REMOTE_ADDR": address} if address else None
    env = dict(info.server_env)
    if pii and info.peer:
        env["REMOTE_ADDR"] = info.peer
    return env


def _cookies(header: str | None, max_length: int) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: _clip(morsel.value, max_length) for name, morsel in jar.items()}


def request_event_processor(
    info: RequestInfo,
    user: UserGetter | None = None,
    route_name: Callable[[], str | None] | None = None,
    body: Callable[[], Any] | None = None,
) -> Callable[[Event, Hint], Event | None]:
    """An event processor adding ``request`` (and, with PII, the client and user) to events.

    ``route_name`` names error events after the route when the framework routed after
    the request's scopes were made (Starlette); ``body`` gives the parsed request body
    read so far (``request.data``), or None.
    """

    def process(event: Event, hint: Hint) -> Event:
        if route_name is not None and event.get("type") != "transaction":
            source = (event.get("transaction_info") or {}).get("source")
            name = route_name() if source in (None, "url") else None
            if name:
                event["transaction"] = name
                event["transaction_info"] = {"source": "route"}
        pii = send_default_pii()
        if "request" not in event:
            event["request"] = sentry_request(info, pii=pii, max_length=_max_length())
            data = body() if body is not None else None
            if data is not None:
                event["request"]["data"] = data
        if pii:
            known = user() if user is not None else None
            current = event.get("user")
            merged: dict[str, Any] = {**(known or {}), **(current or {})}
            address = info.client_address
            if address:
                merged.setdefault("ip_address", address)
            if merged:
                event["user"] = merged
        return event

    return process
