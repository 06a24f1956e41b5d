"""Which applications a framework instrumentor serves itself.

Server hooks (gunicorn, uvicorn) wrap the application they load in scopetel's generic
WSGI/ASGI layer, unless a framework instrumentor claims it: the Django instrumentor
serves Django's handlers from a middleware placed inside contrib's, where contrib's
server span can be adopted; a generic layer outside would start its own server span
first and turn contrib's into an internal one.
"""

from collections.abc import Callable

from scopetel._fork_safety import ForkSafeLock

Claim = Callable[[object], bool]

_lock = ForkSafeLock()
_claims: list[Claim] = []


def claim(predicate: Claim) -> None:
    """Register ``predicate(app)``: true for applications served by a framework layer."""
    with _lock:
        if predicate not in _claims:
            _claims.append(predicate)


def release(predicate: Claim) -> None:
    with _lock:
        if predicate in _claims:
            _claims.remove(predicate)


def claimed(app: object) -> bool:
    """Whether a framework instrumentor serves ``app`` (a predicate that raises says no)."""
    with _lock:
        predicates = list(_claims)
    for predicate in predicates:
        try:
            if predicate(app):
                return True
        except Exception:
            continue
    return False
