"""Span attributes that carry personal data, sent only with ``send_default_pii``."""

from typing import Final

ADDRESS_ATTRIBUTES: Final = frozenset(
    {
        "client.address",
        "network.peer.address",
        "source.address",
        "net.peer.ip",
        "net.sock.peer.addr",
        "http.client_ip",
    }
)
"""Span attributes naming the client's address (contrib's server spans set them):
dropped from the span data of the request's transaction without ``send_default_pii``."""
