"""``X-User: <name>`` makes ``request.user`` an authenticated user (no auth app, no DB)."""

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


def header_user(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def middleware(request: Any) -> Any:
        name = request.headers.get("X-User")
        if name:
            request.user = SimpleNamespace(
                is_authenticated=True,
                pk=f"pk-{name}",
                get_username=lambda: name,
                email=f"{name}@example.com",
            )
        return get_response(request)

    return middleware
