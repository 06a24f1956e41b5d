"""``sentry_sdk.integrations.fastapi``: FastAPI is Starlette to scopetel's ASGI layer."""

from scopetel.integrations._base import require
from scopetel.integrations.starlette import StarletteIntegration

require("fastapi", "FastAPI")


class FastApiIntegration(StarletteIntegration):
    """As :class:`StarletteIntegration` (same options), for FastAPI applications."""

    identifier = "fastapi"
