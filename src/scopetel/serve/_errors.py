"""The one exception the receiver's parsers raise for a request they refuse."""

__all__ = ["RequestError"]


class RequestError(Exception):
    """A refused request: the HTTP status to answer and a reason the client can act on."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
