"""Requests left untraced: OpenTelemetry's ``OTEL_PYTHON_EXCLUDED_URLS`` variables.

As contrib's web instrumentations read them: ``OTEL_PYTHON_<FRAMEWORK>_EXCLUDED_URLS``
(``FLASK``, ``WSGI``, ``ASGI``, ``STARLETTE`` or ``FASTAPI``, ``DJANGO`` ... after the
layer's mechanism), else ``OTEL_PYTHON_EXCLUDED_URLS``: comma-separated regular
expressions; a request is excluded when one matches (``re.search``) its full URL.
Health checks are the usual case. An excluded request gets no server span and no HTTP
metrics; it is still served in scopes of its own (errors in it are reported), and spans
started while it is served are not sampled, as under a parent that was not.

The lists are read once per framework (as contrib's instrumentors read them once);
:func:`reset` forgets them.
"""

import logging
import os
from typing import Final

from opentelemetry.util.http import ExcludeList, parse_excluded_urls

from scopetel._web.info import RequestInfo

LOGGER: Final = logging.getLogger("scopetel")

_ALSO: Final = {"STARLETTE": ("STARLETTE", "FASTAPI")}
"""Frameworks whose layer serves another's applications (FastAPI is Starlette's)."""
_lists: dict[str, ExcludeList | None] = {}


def is_excluded(info: RequestInfo, mechanism: str) -> bool:
    """Whether ``info``'s URL is excluded from tracing for this layer's framework."""
    framework = mechanism.upper()
    if framework not in _lists:
        _lists[framework] = _read(framework)
    excluded = _lists[framework]
    if excluded is None:
        return False
    url = f"{info.scheme}://{info.host}{info.path}"
    if info.query:
        url = f"{url}?{info.query}"
    return bool(excluded.url_disabled(url))


def _read(framework: str) -> ExcludeList | None:
    """The framework's list, None when empty; a bad pattern is reported, not raised."""
    names = [f"OTEL_PYTHON_{name}_EXCLUDED_URLS" for name in _ALSO.get(framework, (framework,))]
    name = next((name for name in names if name in os.environ), "OTEL_PYTHON_EXCLUDED_URLS")
    text = os.environ.get(name, "")
    if not text.strip():
        return None
    try:
        return parse_excluded_urls(text)
    except Exception as error:
        LOGGER.warning("scopetel: %s ignored: not regular expressions (%s)", name, error)
        return None


def reset() -> None:
    _lists.clear()
