"""Transaction names from Django's URL patterns, and the user Django knows.

``ResolverMatch.route`` joins the patterns that matched: ``items/<int:pk>/`` for
``path()``, the regular expressions for ``re_path()``. Routes get a leading slash, and
regular expressions lose their anchors and show named groups as ``{name}``, so
``^legacy/(?P<year>[0-9]{4})/$`` names the transaction ``/legacy/{year}/``.
"""

import re
from typing import Any


def route_of(request: Any) -> str | None:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None)
    if not isinstance(route, str) or not route:
        return None
    if "(" in route or "^" in route or "$" in route:
        route = _from_regex(route)
    return route if route.startswith("/") else "/" + route


def _from_regex(pattern: str) -> str:
    """Named groups become ``{name}``; anchors go; other groups are kept as written."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("(?P<", index):
            close = pattern.find(">", index)
            end = _group_end(pattern, index)
            if close == -1 or end == -1:
                out.append(pattern[index:])
                break
            out.append("{" + pattern[index + 4 : close] + "}")
            index = end + 1
            continue
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char not in "^$":
            out.append(char)
        index += 1
    return "".join(out)


def _group_end(pattern: str, start: int) -> int:
    """Index of the parenthesis closing the group opened at ``start``; -1 if none.

    Escapes and character classes (``[a-z(]``) hold no group parentheses.
    """
    depth = 0
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(pattern, index) + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def user_of(request: Any) -> dict[str, Any] | None:
    """``{"id", "username", "email"}`` of an authenticated ``request.user``; None otherwise.

    Reading ``request.user`` may query the database; callers only ask with
    ``send_default_pii`` and treat an exception as "no user".
    """
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    data: dict[str, Any] = {}
    pk = getattr(user, "pk", None)
    if pk is not None:
        data["id"] = str(pk)
    get_username = getattr(user, "get_username", None)
    username = get_username() if callable(get_username) else getattr(user, "username", None)
    if username:
        data["username"] = str(username)
    email = getattr(user, "email", None)
    if email:
        data["email"] = str(email)
    return data or None


def _class_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the character class opened at ``start`` (or the end)."""
    index = start + 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1  # a "]" first in the class is a literal
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index


_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def sentry_route(route: str) -> str | None:
    """``route`` as sentry_sdk's Django integration names it (``<int:pk>`` becomes
    ``{pk}``); None when that is ``route`` itself."""
    converted = _CONVERTER.sub(r"{\1}", route)
    return None if converted == route else converted
