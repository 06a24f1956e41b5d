"""Which integrations ``init()`` adds by itself, as sentry_sdk 2.x does.

The default integrations are sentry_sdk's (``default_integrations=True``); the
auto-enabling ones are added too when their library is installed
(``auto_enabling_integrations=True``): importing the module of one whose library is
missing raises ``DidNotEnable``, and it is skipped with a debug line.
"""

import importlib
import logging
from collections.abc import Iterator
from typing import Final

from scopetel.integrations._base import DidNotEnable, Integration

LOGGER: Final = logging.getLogger("scopetel")

DEFAULT: Final = (
    "argv:ArgvIntegration",
    "atexit:AtexitIntegration",
    "dedupe:DedupeIntegration",
    "excepthook:ExcepthookIntegration",
    "logging:LoggingIntegration",
    "modules:ModulesIntegration",
    "stdlib:StdlibIntegration",
    "threading:ThreadingIntegration",
)
AUTO_ENABLING: Final = (
    "aiohttp:AioHttpIntegration",
    "boto3:Boto3Integration",
    "celery:CeleryIntegration",
    "django:DjangoIntegration",
    "falcon:FalconIntegration",
    "fastapi:FastApiIntegration",
    "flask:FlaskIntegration",
    "httpx:HttpxIntegration",
    "pyramid:PyramidIntegration",
    "redis:RedisIntegration",
    "rq:RqIntegration",
    "sqlalchemy:SqlalchemyIntegration",
    "starlette:StarletteIntegration",
)


def default_classes(with_auto_enabling: bool) -> Iterator[type[Integration]]:
    """The default integration classes (and the auto-enabling ones) that can be enabled."""
    names = DEFAULT + AUTO_ENABLING if with_auto_enabling else DEFAULT
    for name in names:
        module, _, cls = name.partition(":")
        try:
            yield getattr(importlib.import_module(f"scopetel.integrations.{module}"), cls)
        except DidNotEnable as reason:
            LOGGER.debug("scopetel: default integration %s not enabled: %s", module, reason)
