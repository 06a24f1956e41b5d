"""``sentry_sdk.scrubber``: ``EventScrubber`` and its default denylists.

scopetel scrubs every event by itself (see the README's privacy section): secrets and,
without ``send_default_pii``, personal data, by name at any depth and in text. An
``EventScrubber`` given as ``init(event_scrubber=...)`` runs *after* that, as sentry_sdk
runs its own: it replaces the values under its denylist's keys (whole keys, any case) in
request headers, cookies and data, ``extra``, ``user``, breadcrumb data, frame variables
and span data, one level deep or, with ``recursive=True``, at any depth. It can deny more
than scopetel does, never less: a shorter denylist does not bring back what scopetel
removed. Subclasses may override any ``scrub_*`` method, as with sentry_sdk; they work
on the event about to be sent, never on the application's own objects.
"""

from collections.abc import Iterable, Iterator
from typing import Any, Final

from scopetel._semconv.personal_data import FILTERED

__all__ = ["DEFAULT_DENYLIST", "DEFAULT_PII_DENYLIST", "EventScrubber"]

DEFAULT_DENYLIST: Final[list[str]] = [
    *("password", "passwd", "secret", "api_key", "apikey", "auth", "credentials"),
    *("mysql_pwd", "privatekey", "private_key", "token", "session", "csrftoken"),
    *("sessionid", "x_csrftoken", "x_forwarded_for", "set_cookie", "cookie"),
    *("authorization", "proxy-authorization", "x_api_key", "aiohttp_session"),
    *("connect.sid", "csrf_token", "csrf", "_csrf", "_csrf_token", "PHPSESSID"),
    *("_session", "symfony", "user_session", "_xsrf", "XSRF-TOKEN"),
]
"""Keys whose values are always replaced (sentry_sdk 2.75's list)."""

DEFAULT_PII_DENYLIST: Final[list[str]] = [
    "x_forwarded_for",
    "x_real_ip",
    "ip_address",
    "remote_addr",
]
"""Keys whose values are replaced without ``send_default_pii`` (sentry_sdk 2.75's list)."""


class EventScrubber:
    """Replaces the values of denied keys in an event (see the module docstring)."""

    def __init__(
        self,
        denylist: Iterable[str] | None = None,
        recursive: bool = False,
        send_default_pii: bool = False,
        pii_denylist: Iterable[str] | None = None,
    ) -> None:
        names = list(DEFAULT_DENYLIST if denylist is None else denylist)
        if not send_default_pii:
            names += DEFAULT_PII_DENYLIST if pii_denylist is None else pii_denylist
        self.denylist = [str(name).lower() for name in names]
        self._denied = frozenset(self.denylist)
        self.recursive = recursive

    def scrub_dict(self, value: object) -> None:
        """Replace, in place, the values of denied keys of a dict."""
        if not isinstance(value, dict):
            return
        for key, inner in value.items():
            if isinstance(key, str) and key.lower() in self._denied:
                value[key] = FILTERED
            elif self.recursive:
                self.scrub_dict(inner)
                self.scrub_list(inner)

    def scrub_list(self, value: object) -> None:
        """``scrub_dict`` on the dicts of a list (and of its nested lists)."""
        if not isinstance(value, list):
            return
        for inner in value:
            self.scrub_dict(inner)
            self.scrub_list(inner)

    def scrub_request(self, event: dict[str, Any]) -> None:
        request = event.get("request")
        if isinstance(request, dict):
            self.scrub_dict(request.get("headers"))
            self.scrub_dict(request.get("cookies"))
            self.scrub_dict(request.get("data"))
            self.scrub_list(request.get("data"))

    def scrub_extra(self, event: dict[str, Any]) -> None:
        self.scrub_dict(event.get("extra"))

    def scrub_user(self, event: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, dict) and "ip_address" in self._denied:
            user.pop("ip_address", None)
        self.scrub_dict(user)

    def scrub_breadcrumbs(self, event: dict[str, Any]) -> None:
        crumbs = event.get("breadcrumbs")
        values = crumbs.get("values") if isinstance(crumbs, dict) else None
        for crumb in values if isinstance(values, list) else ():
            if isinstance(crumb, dict):
                self.scrub_dict(crumb.get("data"))

    def scrub_frames(self, event: dict[str, Any]) -> None:
        for frame in _frames(event):
            self.scrub_dict(frame.get("vars"))

    def scrub_spans(self, event: dict[str, Any]) -> None:
        spans = event.get("spans")
        for span in spans if isinstance(spans, list) else ():
            if isinstance(span, dict):
                self.scrub_dict(span.get("data"))

    def scrub_event(self, event: dict[str, Any]) -> None:
        self.scrub_request(event)
        self.scrub_extra(event)
        self.scrub_user(event)
        self.scrub_breadcrumbs(event)
        self.scrub_frames(event)
        self.scrub_spans(event)


def _frames(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The frames of the event's stack traces (exceptions, threads, its own)."""
    traces: list[Any] = [event.get("stacktrace")]
    for holder in ("exception", "threads"):
        part = event.get(holder)
        values = part.get("values") if isinstance(part, dict) else None
        for value in values if isinstance(values, list) else ():
            if isinstance(value, dict):
                traces.append(value.get("stacktrace"))
    for trace in traces:
        frames = trace.get("frames") if isinstance(trace, dict) else None
        for frame in frames if isinstance(frames, list) else ():
            if isinstance(frame, dict):
                yield frame
