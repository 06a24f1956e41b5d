"""Sentry-style Span objects: thin facades over OpenTelemetry spans.

Sentry's op, tags, data, status and measurements become attributes of the OTel span
(names in ``_attributes``). Entering a span as a ``with`` block makes it the active
span of a new Context together with a fork of the current scope.
"""

import logging
import threading
from asyncio import CancelledError
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Self, cast

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from scopetel._coerce import dropped, finite_number, pairs, text
from scopetel._context import entries, runtime
from scopetel._context.active_scopes import LEFT, ForkOnRead, current_scope_in
from scopetel._context.keys import CURRENT_SCOPE, ENTRY, SPAN, SPAN_FACADE
from scopetel._context.scope import Scope
from scopetel._semconv import relay_fields
from scopetel._semconv import sentry_attributes as attrs
from scopetel._semconv.conventions import SPAN_STATUSES, status_for_http_code
from scopetel._semconv.profile_link import with_link
from scopetel._semconv.relay_fields import measurement_name, measurement_unit
from scopetel._trace_sdk.span import RecordingSpan, SharedAttributes
from scopetel._tracing.span_values import attribute_value, http_status_code, to_ns
from scopetel._tracing.trace_identity import baggage_for

LOGGER = logging.getLogger("scopetel")

TRACER_NAME = "scopetel"
_tracer = otel_trace.get_tracer(TRACER_NAME)
_INTERNAL: Final = SpanKind.INTERNAL
_NO_ATTRIBUTES: Final = SharedAttributes()
_MAX_SHARED_OPS: Final = 1000


class _TracerOfProvider:
    """scopetel's tracer from the global provider, without the ``ProxyTracer`` that
    ``opentelemetry.trace.get_tracer`` returns (two more calls per span).

    OpenTelemetry sets the global provider once per process; until then, the proxy.
    """

    __slots__ = ("tracer",)

    def __init__(self) -> None:
        self.tracer: otel_trace.Tracer | None = None

    def get(self) -> otel_trace.Tracer:
        tracer = self.tracer
        if tracer is None:
            provider = otel_trace.get_tracer_provider()
            if isinstance(provider, otel_trace.ProxyTracerProvider):
                return _tracer
            tracer = self.tracer = provider.get_tracer(TRACER_NAME)
        return tracer


_scopetel_tracer: Final = _TracerOfProvider()
_op_attributes: dict[str, SharedAttributes] = {}


def _attributes_of_op(op: str) -> SharedAttributes:
    """``{sentry.op: op}``, one dict per op, which the spans that start with it share
    (copied by the first that writes); ops are few, but there is a bound."""
    found = _op_attributes.get(op)
    if found is None:
        found = SharedAttributes({attrs.OP: op})
        if len(_op_attributes) < _MAX_SHARED_OPS:
            _op_attributes[op] = found
    return found


class Span(ForkOnRead):
    """A span of work. Use it as a ``with`` block, or call :meth:`finish` yourself.

    It is the :class:`~scopetel._context.entries.Entry` of its first ``with`` block, and
    stands there for the fork of the current scope that block makes when first read."""

    __slots__ = ("_entry", "_otel", "_outer_entries", "_parent_span_id", "_segment")

    def __init__(
        self,
        otel_span: otel_trace.Span,
        parent_span_id: int | None = None,
        segment: "Span | None" = None,
    ) -> None:
        self._otel = otel_span
        self._parent_span_id = parent_span_id
        self._segment = segment  # the local root (Sentry's containing transaction), if known
        self._entry: entries.Entry | None = None  # None: never entered; LEFT: left
        self._outer_entries: list[entries.Entry] | None = None  # when entered more than once

    # -- identity -------------------------------------------------------------------
    @property
    def otel_span(self) -> otel_trace.Span:
        """The underlying OpenTelemetry span."""
        return self._otel

    @property
    def trace_id(self) -> str:
        return format(self._otel.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str:
        return format(self._otel.get_span_context().span_id, "016x")

    @property
    def parent_span_id(self) -> str | None:
        parent = getattr(self._otel, "parent", None)
        parent_id = parent.span_id if parent is not None else self._parent_span_id
        return None if parent_id is None else format(parent_id, "016x")

    @property
    def sampled(self) -> bool:
        return self._otel.get_span_context().trace_flags.sampled

    @property
    def is_local_root(self) -> bool:
        """No parent, or a parent in another process."""
        parent = getattr(self._otel, "parent", None)
        if parent is not None:
            return bool(parent.is_remote)
        return self._parent_span_id is None

    @property
    def containing_transaction(self) -> "Span | None":
        """The local root span this span belongs to, when scopetel started both."""
        return self._segment

    # -- Sentry fields as attributes ----------------------------------------------------
    def _get(self, key: str) -> Any:
        attributes = getattr(self._otel, "attributes", None)
        return None if attributes is None else attributes.get(key)

    @property
    def op(self) -> str | None:
        value = self._get(attrs.OP)
        return value if isinstance(value, str) else None

    @op.setter
    def op(self, value: str | None) -> None:
        if value is not None:
            self._otel.set_attribute(attrs.OP, text(value, "op"))

    @property
    def name(self) -> str | None:
        return getattr(self._otel, "name", None)

    @name.setter
    def name(self, value: str) -> None:
        self._otel.update_name(text(value, "span name"))

    description = name

    @property
    def status(self) -> str | None:
        value = self._get(attrs.STATUS)
        return value if isinstance(value, str) else None

    @property
    def origin(self) -> str:
        value = self._get(attrs.ORIGIN)
        return relay_fields.origin(value) if isinstance(value, str) else attrs.DEFAULT_ORIGIN

    def get_trace_context(self) -> dict[str, Any]:
        """``contexts.trace`` of events captured under this span (sentry_sdk's shape)."""
        ctx = self._otel.get_span_context()
        attributes = getattr(self._otel, "attributes", None) or {}
        if isinstance(self._otel, RecordingSpan):  # a root's link to the profile
            attributes = with_link(attributes, self._otel.profile_link)
        data: dict[str, Any] = {k: v for k, v in attributes.items() if attrs.is_data(k)}
        thread = threading.current_thread()
        data.setdefault("thread.id", str(thread.ident))
        data.setdefault("thread.name", thread.name)
        explicit = self._get(attrs.DESCRIPTION)
        description = explicit if isinstance(explicit, str) else None
        if description is None and not self.is_local_root and self.name != self.op:
            description = self.name  # a child is named by its description
        context: dict[str, Any] = {
            "trace_id": format(ctx.trace_id, "032x"),
            "span_id": format(ctx.span_id, "016x"),
            "parent_span_id": self.parent_span_id,
            "op": self.op,
            "description": description,
            "origin": self.origin,
            "data": data,
        }
        if self.status in SPAN_STATUSES:
            context["status"] = self.status
        return context

    def set_tag(self, key: str, value: object) -> None:
        name = key if type(key) is str else text(key, "set_tag key")
        tag = value if type(value) is str and value.isascii() else text(value, "tag value")
        self._otel.set_attribute(attrs.TAG_PREFIX + name, tag)

    def set_data(self, key: str, value: object) -> None:
        name = key if type(key) is str else text(key, "set_data key")
        self._otel.set_attribute(name, attribute_value(value))

    def set_attribute(self, key: str, value: object) -> None:
        self._otel.set_attribute(text(key, "set_attribute key"), attribute_value(value))

    def set_status(self, status: str) -> None:
        status = text(status, "set_status")
        self._otel.set_attribute(attrs.STATUS, status)
        if not self.is_local_root:  # sentry_sdk tags a child span with its status
            self._otel.set_attribute(attrs.TAG_PREFIX + "status", status)
        if status == "ok":
            self._otel.set_status(Status(StatusCode.OK))
        else:
            self._otel.set_status(Status(StatusCode.ERROR, status))

    def set_http_status(self, http_status: int) -> None:
        """The response's status code: span data, the ``http.status_code`` tag, and the
        Sentry status it means (``contexts.response`` of a transaction)."""
        code = http_status_code(http_status)
        if code is None:
            return
        status = status_for_http_code(code)
        self._otel.set_attribute(attrs.HTTP_STATUS, code)
        self._otel.set_attribute(attrs.TAG_PREFIX + "http.status_code", str(code))
        self._otel.set_attribute(attrs.STATUS, status)
        if not self.is_local_root:
            self._otel.set_attribute(attrs.TAG_PREFIX + "status", status)
        if code >= 400:
            self._otel.set_status(Status(StatusCode.ERROR))

    def set_measurement(self, name: str, value: float, unit: str = "") -> None:
        number = finite_number(value, "set_measurement value")
        valid = measurement_name(text(name, "measurement name"))
        if valid is None:
            dropped("set_measurement", name, "is not a measurement name Relay accepts; ignored:")
        if number is None or valid is None:
            return
        self._otel.set_attribute(attrs.MEASUREMENT_PREFIX + valid, number)
        unit_name = text(unit, "measurement unit") if unit is not None else ""
        if unit_name and measurement_unit(unit_name) is None:
            dropped("set_measurement", unit_name, "is not a unit Relay accepts; left out:")
        elif unit_name:
            self._otel.set_attribute(attrs.MEASUREMENT_UNIT_PREFIX + valid, unit_name)

    # -- lifecycle ---------------------------------------------------------------------
    def start_child(
        self,
        op: str | None = None,
        name: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> "Span":
        """A child of this span (not made current until entered)."""
        parent_ctx = otel_trace.set_span_in_context(self._otel, Context())
        segment = self.containing_transaction
        if name is not None and type(name) is not str:
            name = text(name, "span name")
        return start_otel_span(parent_ctx, op, name or description, segment, kwargs)

    def finish(self, scope: object = None, end_timestamp: datetime | float | None = None) -> None:
        """End the span (idempotent)."""
        if self._otel.is_recording():
            self._otel.end(to_ns(end_timestamp, "end_timestamp"))

    def to_traceparent(self) -> str:
        """The ``sentry-trace`` header value for this span."""
        ctx = self._otel.get_span_context()
        return f"{ctx.trace_id:032x}-{ctx.span_id:016x}-{1 if ctx.trace_flags.sampled else 0}"

    def to_baggage(self) -> str | None:
        """The ``baggage`` header value (the trace's dynamic sampling context)."""
        return baggage_for(self._otel)

    def __enter__(self) -> Self:
        # The hot path of every span. The span is its own Entry the first time it is
        # entered (one allocation fewer); entered again, it gets a separate Entry, so
        # that Contexts copied inside an earlier entry keep theirs.
        current = runtime.get_current()
        entry = self._entry
        if entry is None:
            self.previous, self.exited = current, False
            entry = self._entry = self
        else:
            if entry is not LEFT:  # entered again before being left
                self._outer_entries = [*(self._outer_entries or ()), entry]
            entry = self._entry = entries.Entry(current)
        values = current.copy()  # a plain dict: filled faster than a dict display
        values[SPAN] = self._otel
        values[CURRENT_SCOPE] = self if entry is self else self._new_fork(current_scope_in(current))
        values[SPAN_FACADE] = self
        values[ENTRY] = entry
        if type(self) is not Span:
            self._add_context_values(values)
        runtime.attach(Context(values))
        return self

    def _add_context_values(self, values: dict[str, object]) -> None:
        """What a kind of span puts in the Context it is entered in, beyond a span's."""

    def _new_fork(self, scope: Scope) -> Scope:
        fork = scope.fork()
        fork.entered_span = self
        return fork

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self.status is None and not isinstance(exc, GeneratorExit):
            self.set_status("cancelled" if isinstance(exc, CancelledError) else "internal_error")
        outer = self._outer_entries
        otel = self._otel
        if not outer and otel.is_recording():
            otel.end()  # before leaving: the root's own scopes are current at its end
        entry = self._entry
        if entry is None or entry is LEFT:
            return
        self._entry = outer.pop() if outer else LEFT
        # entries.leave, inlined for the common case: this entry is the current one
        if runtime.get_current().get(ENTRY) is entry:
            previous = entry.previous
            below = cast(entries.Entry | None, previous.get(ENTRY))  # ours only
            live = previous if below is None or not below.exited else entries.live(previous)
            runtime.attach(live)
        else:
            entries.leave(entry)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} op={self.op!r} name={self.name!r} "
            f"trace_id={self.trace_id} span_id={self.span_id} sampled={self.sampled}>"
        )


def start_otel_span(
    parent_ctx: Context,
    op: str | None,
    name: str | None,
    segment: Span | None,
    extra: dict[str, Any],
    parent_span_id: int | None = -1,
) -> Span:
    """Start an OTel span under ``parent_ctx`` and wrap it (the hot path of every span).

    ``parent_span_id`` is the id of the span active in ``parent_ctx`` (None: none is),
    when the caller has already looked it up; -1: look it up.
    """
    if op is not None and (type(op) is not str or not op.isascii()):
        op = text(op, "op")
    if name is not None and (type(name) is not str or not name.isascii()):
        name = text(name, "span name")
    if extra:
        attributes: dict[str, AttributeValue] = {attrs.OP: op} if op else {}
        _start_attributes(attributes, extra)
        start_time = to_ns(extra.get("start_timestamp"), "start_timestamp")
    else:  # the common span: the tracer may share its attributes with others
        attributes = (_op_attributes.get(op) or _attributes_of_op(op)) if op else _NO_ATTRIBUTES
        start_time = None
    tracer = _scopetel_tracer.tracer or _scopetel_tracer.get()
    otel = tracer.start_span(
        name or op or "<unnamed span>", parent_ctx, _INTERNAL, attributes, (), start_time
    )
    if parent_span_id == -1:
        parent = otel_trace.get_current_span(parent_ctx).get_span_context()
        parent_span_id = parent.span_id if parent.is_valid else None
    return Span(otel, parent_span_id, segment)


def _start_attributes(attributes: dict[str, AttributeValue], extra: dict[str, Any]) -> None:
    """``origin`` and ``attributes`` of ``start_span``/``start_child``, set at start so
    that samplers and processors see them too."""
    origin = extra.get("origin")
    if origin is not None:
        origin = text(origin, "origin")
        if origin:
            attributes[attrs.ORIGIN] = origin
    for key, value in pairs(extra.get("attributes"), "attributes"):
        attributes[text(key, "attribute key")] = attribute_value(value)
