"""The active client: set by ``init()``, read by every capture. None until then."""

from scopetel._client import Client

_client: Client | None = None


def get_client() -> Client | None:
    return _client


def set_client(client: Client | None) -> Client | None:
    """Install ``client``; returns the one it replaces."""
    global _client
    old, _client = _client, client
    return old
