"""The shape of most integrations: enable instrumentors once a library is imported."""

from collections.abc import Mapping
from typing import Any, ClassVar

from scopetel.integrations._base import Integration, accept
from scopetel.integrations._instrumentors import instrument


class LibraryIntegration(Integration):
    """Enables ``instrumentors`` (entry point names) when ``library`` is imported, and
    names the options (attribute -> sentry_sdk's default) accepted without effect."""

    library: ClassVar[str]
    instrumentors: ClassVar[tuple[str, ...]]
    without_effect: ClassVar[Mapping[str, Any]] = {}

    def setup(self) -> None:
        for target in self.instrumentors:
            instrument(target, when_imported=self.library)
        accept(self, self.without_effect)
