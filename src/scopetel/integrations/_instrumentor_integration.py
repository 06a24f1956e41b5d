"""The shape of most integrations: instrumentors enabled with the options they honour."""

from collections.abc import Mapping
from typing import Any, ClassVar

from scopetel.integrations._base import Integration, accept, changed
from scopetel.integrations._instrumentors import instrument


class InstrumentorIntegration(Integration):
    """Enables ``instrumentors`` (entry point names), once ``library`` is imported when
    one is named. ``honoured`` and ``without_effect`` map option attributes to sentry_sdk's
    defaults: the honoured ones the user changed are handed to the instrumentors, the
    others get one debug line. ``hooks``: scopetel's own instrumentor arguments."""

    instrumentors: ClassVar[tuple[str, ...]]
    library: ClassVar[str | None] = None
    honoured: ClassVar[Mapping[str, Any]] = {}
    without_effect: ClassVar[Mapping[str, Any]] = {}
    hooks: ClassVar[Mapping[str, Any]] = {}

    def setup(self) -> None:
        values = {name: getattr(self, name) for name in self.honoured}
        options = changed(values, self.honoured)
        for target in self.instrumentors:
            instrument(target, when_imported=self.library, hooks=self.hooks, **options)
        accept(self, self.without_effect)
