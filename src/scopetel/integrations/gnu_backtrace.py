"""``sentry_sdk.integrations.gnu_backtrace``: accepted; GNU backtraces are not parsed."""

from scopetel.integrations._base import LOGGER, Integration


class GnuBacktraceIntegration(Integration):
    """Named so that existing set-ups run. sentry_sdk parses GNU backtraces found in
    exception messages (C extensions) into frames; scopetel sends such messages as they
    are."""

    identifier = "gnu_backtrace"

    def setup(self) -> None:
        LOGGER.debug("scopetel: gnu_backtrace: accepted without effect")
