"""``sentry_sdk.integrations.excepthook``: uncaught exceptions become events."""

from scopetel.integrations._base import Integration, accept
from scopetel.integrations._instrumentors import instrument


class ExcepthookIntegration(Integration):
    """``sys.excepthook`` and ``threading.excepthook`` report uncaught exceptions as
    unhandled events, through ``scopetel_excepthook``.

    Accepted without effect: ``always_run`` (scopetel's hook also reports in an
    interactive session, as with ``always_run=True``).
    """

    identifier = "excepthook"

    def __init__(self, always_run: bool = False) -> None:
        if not isinstance(always_run, bool):
            raise ValueError(f"Invalid value for always_run: {always_run} (must be type boolean)")
        self.always_run = always_run

    def setup(self) -> None:
        instrument("scopetel_excepthook")
        accept(self, {"always_run": False})
