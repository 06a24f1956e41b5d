"""Sentry DSN: where envelopes go and how they are authenticated.

A DSN looks like ``https://<public_key>[:<secret_key>]@<host>[:<port>][/<prefix>]/<project_id>``.
Error messages and ``repr`` never contain the secret key.
"""

from dataclasses import dataclass, field
from typing import Self
from urllib.parse import SplitResult, urlsplit

__all__ = ["SENTRY_PROTOCOL_VERSION", "Dsn", "InvalidDsn"]

SENTRY_PROTOCOL_VERSION = 7
_SCHEMES = ("http", "https")


class InvalidDsn(ValueError):
    """The DSN cannot be used; the message says which part is wrong."""


@dataclass(frozen=True)
class Dsn:
    """A parsed Sentry DSN."""

    scheme: str
    public_key: str
    host: str
    project_id: str
    port: int | None = None
    path: str = ""
    secret_key: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, value: str) -> Self:
        """Parse ``value``; raise :class:`InvalidDsn` saying what is wrong."""
        text = value.strip()
        if not text:
            raise InvalidDsn("DSN is empty")
        try:
            parts = urlsplit(text)
        except ValueError as error:  # e.g. an unbalanced "[" in the host
            raise InvalidDsn(f"DSN is not a valid URL ({error})") from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            shown = repr(parts.scheme) if parts.scheme else "none"
            raise InvalidDsn(f"DSN scheme must be http or https, got {shown}")
        if not parts.username:
            raise InvalidDsn("DSN has no public key (expected scheme://<public_key>@host/...)")
        host = parts.hostname
        if not host:
            raise InvalidDsn("DSN has no host")
        port = _port(parts)
        prefix, project_id = _split_path(parts.path)
        return cls(
            scheme=scheme,
            public_key=parts.username,
            secret_key=parts.password or None,
            host=host,
            port=port,
            path=prefix,
            project_id=project_id,
        )

    @property
    def netloc(self) -> str:
        """Host (bracketed when IPv6) and port when one was given."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def envelope_url(self) -> str:
        """The URL envelopes are POSTed to."""
        return f"{self.scheme}://{self.netloc}{self.path}/api/{self.project_id}/envelope/"

    def auth_header(self, client: str) -> str:
        """The ``X-Sentry-Auth`` header value for a client named ``client`` (name/version)."""
        fields = [
            f"sentry_key={self.public_key}",
            f"sentry_version={SENTRY_PROTOCOL_VERSION}",
            f"sentry_client={client}",
        ]
        if self.secret_key:
            fields.append(f"sentry_secret={self.secret_key}")
        return "Sentry " + ", ".join(fields)


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        # Only the text after the last ":" of the netloc (never the credentials).
        shown = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise InvalidDsn(f"DSN port is not a number between 0 and 65535: {shown!r}") from None


def _split_path(path: str) -> tuple[str, str]:
    """Split ``/prefix/42`` into (``/prefix``, ``42``); one trailing slash is tolerated."""
    trimmed = path[:-1] if path.endswith("/") else path
    prefix, _, project_id = trimmed.rpartition("/")
    if not project_id:
        raise InvalidDsn("DSN has no project id (expected .../<project_id> at the end of the path)")
    if not (project_id.isascii() and project_id.isdigit()):
        raise InvalidDsn(f"DSN project id must be numeric, got {project_id!r}")
    return prefix, project_id
