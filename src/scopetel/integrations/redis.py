"""``sentry_sdk.integrations.redis``: redis commands as spans."""

import warnings

from scopetel._semconv.redis_commands import record_key
from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration


class RedisIntegration(InstrumentorIntegration):
    """A span per command (and pipeline), through OpenTelemetry's redis instrumentation
    (``opentelemetry-instrumentation-redis``), described as sentry_sdk does (``GET
    'post:1'``, values filtered: its ``request_hook`` records the key). As in sentry_sdk,
    a missing ``redis`` library is found when ``init()`` sets it up, not on import.

    Accepted without effect: ``max_data_size`` (deprecated), ``cache_prefixes`` (no
    cache spans).
    """

    identifier = "redis"
    library = "redis"
    instrumentors = ("redis",)
    without_effect = {"max_data_size": None, "cache_prefixes": []}
    hooks = {"request_hook": record_key}

    def __init__(self, max_data_size: int | None = None, cache_prefixes: list[str] | None = None):
        self.max_data_size = max_data_size
        self.cache_prefixes = cache_prefixes if cache_prefixes is not None else []
        if max_data_size is not None:
            warnings.warn(
                "The `max_data_size` parameter of `RedisIntegration` is deprecated.",
                DeprecationWarning,
                stacklevel=2,
            )

    @staticmethod
    def setup_once() -> None:
        require("redis", "Redis client")
