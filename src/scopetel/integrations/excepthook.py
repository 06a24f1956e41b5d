"""``sentry_sdk.integrations.excepthook``: uncaught exceptions become events."""

from scopetel.integrations._instrumentor_integration import InstrumentorIntegration


class ExcepthookIntegration(InstrumentorIntegration):
    """``sys.excepthook`` and ``threading.excepthook`` report uncaught exceptions as
    unhandled events, through ``scopetel_excepthook``.

    Accepted without effect: ``always_run`` (scopetel's hook also reports in an
    interactive session, as with ``always_run=True``).
    """

    identifier = "excepthook"
    instrumentors = ("scopetel_excepthook",)
    without_effect = {"always_run": False}

    def __init__(self, always_run: bool = False) -> None:
        if not isinstance(always_run, bool):
            raise ValueError(f"Invalid value for always_run: {always_run} (must be type boolean)")
        self.always_run = always_run
