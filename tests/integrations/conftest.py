"""Each test starts scopetel with the options it needs, in an isolation scope of its own
(breadcrumbs from its log records stay there); afterwards a default ``init()`` puts every
integration's instrumentor back to its defaults for the tests that follow."""

import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scopetel
from scopetel.testing import CapturingTransport

Start = Callable[..., CapturingTransport]

AUTO_ENABLING = {  # sentry_sdk's auto-enabling integrations scopetel has, and their library
    "aiohttp": "aiohttp",
    "boto3": "botocore",
    "celery": "celery",
    "django": "django",
    "falcon": "falcon",
    "fastapi": "fastapi",
    "flask": "flask",
    "httpx": "httpx",
    "pyramid": "pyramid",
    "redis": "redis",
    "rq": "rq",
    "sqlalchemy": "sqlalchemy",
    "starlette": "starlette",
}


def installed(library: str) -> bool:
    return importlib.util.find_spec(library) is not None


@pytest.fixture
def start() -> Iterator[Start]:
    def init(**options: Any) -> CapturingTransport:
        transport = CapturingTransport()
        scopetel.init(transport=transport, **options)
        return transport

    with scopetel.isolation_scope():
        yield init
    scopetel.init(transport=CapturingTransport())
