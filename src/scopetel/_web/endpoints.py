"""Transaction names from the code that handled a request.

sentry_sdk's ``transaction_style="endpoint"`` (Starlette, Flask) and
``"function_name"`` (Django) name a request's transaction after its handler, as
``module.qualname`` with source ``component``.
"""

from collections.abc import Collection


def endpoint_name(handler: object) -> str | None:
    """``module.qualname`` of a view function, method or class (``__main__.signup``)."""
    handler = getattr(handler, "view_class", handler)  # Django's class-based views
    function = getattr(handler, "__func__", handler)  # bound methods
    qualname = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    if not isinstance(qualname, str):
        return None
    module = getattr(function, "__module__", None)
    return f"{module}.{qualname}" if isinstance(module, str) else qualname


def transaction_style(value: object, allowed: Collection[str]) -> str:
    """``value`` if it is one of the ``allowed`` styles of an instrumentor, else ValueError."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"transaction_style must be one of {sorted(allowed)}, got {value!r}")
    return value
