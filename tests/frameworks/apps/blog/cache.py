"""A read-through redis cache for single posts (none without ``REDIS_URL``)."""

import json
import os
from collections.abc import Callable
from typing import Any

import redis

_client = redis.Redis.from_url(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None


def cached(key: str, load: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    if _client is None:
        return load()
    hit = _client.get(key)
    if hit is not None:
        found: dict[str, Any] = json.loads(hit)
        return found
    value = load()
    if value is not None:
        _client.set(key, json.dumps(value, default=str), ex=60)
    return value


def forget(key: str) -> None:
    if _client is not None:
        _client.delete(key)
