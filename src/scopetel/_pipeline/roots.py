"""Which local roots become Sentry transactions (segments): the orphan-span rule.

A local root (no parent, or a parent in another process) is an *entry point* when it
is a ``SERVER`` or ``CONSUMER`` span, has a remote parent, or is an ``INTERNAL`` span
that the application started on purpose: through scopetel's API (``start_transaction``,
``start_span``/``@trace`` with no active span) or an OpenTelemetry tracer of its own.
Any other local root is an *orphan*: a ``CLIENT`` or ``PRODUCER`` span with nothing
around it (broker polling, start-up SQL, a result-backend write, a task sent from a
script), or an ``INTERNAL`` one of an instrumentation library (a tracer named
``opentelemetry.instrumentation.*``). An orphan and its descendants are not sent to
Sentry. They still reach the exporters of ``OTEL_TRACES_EXPORTER`` (OTLP), and they are
not counted as dropped: they were never Sentry data (sentry_sdk records nothing for
them). ``orphan_spans="transactions"`` sends them as transactions, as before the rule.

The processors decide once, when the root starts, and remember only the ids of open
orphan spans (so that their children are recognised): an orphan is never buffered.
"""

from typing import Final

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

ENTRY_KINDS: Final = frozenset({SpanKind.SERVER, SpanKind.CONSUMER})
INSTRUMENTATION_PREFIX: Final = "opentelemetry.instrumentation."
MAX_OPEN_ORPHANS: Final = 100_000
"""Open orphan spans remembered; beyond, a child of a forgotten orphan is judged by its
parent's span object alone (see :func:`parent_is_orphan`)."""


def is_entry_point(kind: SpanKind, parent_is_remote: bool, scope_name: str | None) -> bool:
    """Whether a local root with these traits is a Sentry transaction."""
    if parent_is_remote or kind in ENTRY_KINDS:
        return True
    return kind is SpanKind.INTERNAL and not (scope_name or "").startswith(INSTRUMENTATION_PREFIX)


def is_orphan_root(span: ReadableSpan) -> bool:
    """``span`` is a local root that is not an entry point."""
    parent = span.parent
    if parent is not None and not parent.is_remote:
        return False  # not a local root
    scope = span.instrumentation_scope
    remote = parent is not None
    return not is_entry_point(span.kind, remote, None if scope is None else scope.name)


def parent_is_orphan(parent_context: Context | None, parent_span_id: int) -> bool:
    """The local parent, no longer followed by a processor, was an orphan root.

    For a span started after its parent ended (or beyond the remembered orphans): the
    parent's span object is still in the Context the child started in. A parent that is
    itself a descendant of an orphan cannot be told apart from a transaction's child
    here; the child is then sent as a follow-up, as before this rule.
    """
    parent = otel_trace.get_current_span(parent_context)
    if not isinstance(parent, ReadableSpan):
        return False
    context = parent.context
    return context is not None and context.span_id == parent_span_id and is_orphan_root(parent)
