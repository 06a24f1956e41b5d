"""Breadcrumbs of finished client calls, as sentry_sdk's integrations record them.

sentry_sdk's HTTP client, SQL and redis integrations add a breadcrumb per call
(``httplib``, ``query``, ``redis``), so an error shows what the code called before
it. scopetel derives the same breadcrumbs from the CLIENT spans of any
instrumentation, by the conventions their attributes follow.
"""

from scopetel._semconv import http_calls, redis_commands
from scopetel._semconv.conventions import DB_QUERY_TEXT, DB_SYSTEM, Attrs, first_str, http_method


def breadcrumb(attrs: Attrs) -> dict[str, object] | None:
    """The breadcrumb of a finished CLIENT span; None for calls of other kinds."""
    if http_method(attrs) is not None:
        return http_calls.client_breadcrumb(attrs)
    system = first_str(attrs, DB_SYSTEM)
    if system is None:
        return None
    if system == "redis":
        return redis_commands.breadcrumb(attrs)
    statement = first_str(attrs, DB_QUERY_TEXT)
    return None if statement is None else {"category": "query", "message": statement}
