"""``sentry_sdk.integrations.argv``: ``extra["sys.argv"]`` in every event and transaction."""

import sys

from scopetel._context.scope import Event, Hint
from scopetel.integrations._base import Integration
from scopetel.integrations._registry import get_integration
from scopetel.scope import add_global_event_processor


class ArgvIntegration(Integration):
    """Adds the process's command line as ``extra["sys.argv"]`` (a global event processor)."""

    identifier = "argv"

    @staticmethod
    def setup_once() -> None:
        add_global_event_processor(_add_argv)


def _add_argv(event: Event, hint: Hint) -> Event:
    if get_integration(ArgvIntegration) is not None:
        extra = event.setdefault("extra", {})
        if isinstance(extra, dict):
            extra["sys.argv"] = list(sys.argv)
    return event
