"""``sentry_sdk.integrations.atexit``: send what is pending when the process exits."""

from collections.abc import Callable
from typing import Any

from scopetel.integrations._base import Integration, accept


class AtexitIntegration(Integration):
    """scopetel always flushes at exit, within ``shutdown_timeout`` (``init()`` registers
    it); this integration only names that behaviour.

    Accepted without effect: ``callback`` (scopetel prints nothing about pending events).
    """

    identifier = "atexit"

    def __init__(self, callback: Callable[[int, float], Any] | None = None) -> None:
        self.callback = callback

    def setup(self) -> None:
        accept(self, {"callback": None})
