"""Which outgoing requests get trace headers (``propagate_traces``,
``trace_propagation_targets``), for every propagator in use.

OpenTelemetry's HTTP client instrumentations inject headers inside the client span they
just started, whose ``url.full`` (or ``http.url``) names the request: the filter reads it
there and injects only when a target (a regular expression, searched in the URL as
sentry_sdk does) matches. Without a URL (messaging, custom carriers) headers are injected.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context, get_current
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)

from scopetel._semconv.conventions import URL_FULL, first_str

MATCH_ALL: Final = (".*",)


@dataclass(frozen=True)
class Targets:
    """``propagate_traces`` and the compiled ``trace_propagation_targets``."""

    enabled: bool = True
    patterns: tuple[re.Pattern[str], ...] = ()
    everywhere: bool = True

    @classmethod
    def of(cls, enabled: bool, targets: Iterable[str]) -> "Targets":
        texts = tuple(targets)
        patterns = []
        for text in texts:
            try:
                patterns.append(re.compile(text))
            except re.error:
                patterns.append(re.compile(re.escape(text)))  # a plain URL prefix
        return cls(enabled, tuple(patterns), texts == MATCH_ALL)

    def allow(self, url: str | None) -> bool:
        if not self.enabled:
            return False
        if self.everywhere or url is None:
            return True
        return any(pattern.search(url) for pattern in self.patterns)


class TargetFilter(TextMapPropagator):
    """Wraps the propagator in use; injects only where ``targets()`` allows it."""

    def __init__(self, inner: TextMapPropagator, targets: Callable[[], Targets]) -> None:
        self.inner = inner
        self._targets = targets

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        return self.inner.extract(carrier, context, getter)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        targets = self._targets()
        if targets.enabled and targets.everywhere:
            self.inner.inject(carrier, context, setter)
            return
        span = trace.get_current_span(get_current() if context is None else context)
        attributes = getattr(span, "attributes", None) or {}
        if targets.allow(first_str(attributes, URL_FULL)):
            self.inner.inject(carrier, context, setter)

    @property
    def fields(self) -> set[str]:
        return self.inner.fields
