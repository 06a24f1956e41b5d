"""``RecordingSpan``: a sampled (or record-only) span of the lean core.

One object from start to export: the tracer fills its slots, processors get the span
itself at its end, and it reads as an SDK ``ReadableSpan`` (``context``, ``parent``,
``attributes``, ``events``, ``links``, ``status``, ``resource``,
``instrumentation_scope``, dropped counts, ``to_json``) and as the pipeline's
``CompactSpan`` (``trace_id``, ``span_id``, ``parent_span_id``, ``start_ns``, ``end_ns``
…). Its ``SpanContext`` is built the first time it is asked for (a child's start, a
propagator): leaf spans never build one. Attributes live in a plain dict, shared
copy-on-write when the tracer was given a ``SharedAttributes``; events, links and the
dropped-attribute count sit in one ``SpanExtras`` made by the first event or link.
The read side is ``SpanView`` (``span_view``); new spans are made in ``span_start``.

Like the SDK span, every method is safe to call after the end (a warning, no effect),
and nothing raises into the caller; unlike it there is no lock: two threads that end
the same span at the same moment may both notify the processors.
"""

import logging
import traceback
from collections.abc import Mapping
from time import time_ns
from types import TracebackType
from typing import Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event
from opentelemetry.sdk.util import BoundedList
from opentelemetry.semconv.attributes.exception_attributes import (
    EXCEPTION_ESCAPED,
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    EXCEPTION_TYPE,
)
from opentelemetry.trace import Link, SpanContext, Status, StatusCode
from opentelemetry.util import types

from scopetel._internal_errors import report_internal_error
from scopetel._trace_sdk import attributes as _attributes
from scopetel._trace_sdk.source import notify_end
from scopetel._trace_sdk.span_extras import bounded_link, valid_link
from scopetel._trace_sdk.span_view import SpanView

LOGGER: Final = logging.getLogger("opentelemetry.sdk.trace")
UNSET_STATUS: Final = Status(StatusCode.UNSET)
_OK: Final = StatusCode.OK
_UNSET: Final = StatusCode.UNSET


class SharedAttributes(dict[str, types.AnyValue]):
    """Attributes several spans start with and share until one of them writes."""


class RecordingSpan(SpanView):
    """A span that records; see the module docstring.

    An SDK ``Span`` (and so a ``ReadableSpan``) for every ``isinstance`` check, with
    every method of its own: the SDK's constructor and private fields are never used.
    """

    __slots__ = (
        "_attributes",
        "_context",
        "_end",
        "_extras",
        "_kind",
        "_name",
        "_parent",
        "_source",
        "_status",
        "_trace_state",
        "span_id",
        "start_ns",
        "trace_flags",
        "trace_id",
    )

    # ``start_span(record_exception=..., set_status_on_exception=...)``: per class, so
    # that the common spans carry no field for them (see ``recording_class``)
    records_exception = True
    sets_error_status = True

    # -- the OpenTelemetry Span API ------------------------------------------------------
    def is_recording(self) -> bool:
        return self._end is None

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self._end is not None:
            LOGGER.warning("Setting attribute on ended span.")
            return
        attributes = self._attributes
        if type(attributes) is not dict:  # shared: copy on the first write
            attributes = self._attributes = dict(attributes)
        source = self._source
        if (
            type(key) is str
            and key
            and type(value) in _attributes.SCALARS
            and (type(value) is not str or source.max_length is None)
        ):
            max_count = source.max_attributes
            if key in attributes:
                del attributes[key]
            elif max_count is not None and len(attributes) >= max_count:
                self._dropped(_attributes.put(attributes, key, value, max_count))
                return
            attributes[key] = value
            return
        self._dropped(
            _attributes.set_one(attributes, key, value, source.max_attributes, source.max_length)
        )

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self._end is not None:
            LOGGER.warning("Setting attribute on ended span.")
            return
        own = self._attributes
        if type(own) is not dict:
            own = self._attributes = dict(own)
        source = self._source
        try:
            dropped = _attributes.set_many(
                own, attributes, source.max_attributes, source.max_length
            )
        except Exception:  # a mapping that cannot be read
            LOGGER.warning("set_attributes: could not read %r", type(attributes))
            return
        self._dropped(dropped)

    def _dropped(self, count: int) -> None:
        if count:
            self._extras_of().dropped_attributes += count

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        limits = self._source.limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        event = Event(name=name, attributes=bounded, timestamp=timestamp)
        if self._end is not None:
            LOGGER.warning("Tried calling _add_event on an ended span.")
            return
        extras = self._extras_of()
        if extras.events is None:
            extras.events = BoundedList(limits.max_events)
        extras.events.append(event)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if not valid_link(context, attributes):
            return
        link = bounded_link(Link(context, attributes), self._source)
        if self._end is not None:
            LOGGER.warning("Tried calling _add_link on an ended span.")
            return
        extras = self._extras_of()
        if extras.links is None:
            extras.links = BoundedList(self._source.limits.max_links)
        extras.links.append(link)

    def update_name(self, name: str) -> None:
        if self._end is not None:
            LOGGER.warning("Tried calling update_name on an ended span.")
            return
        self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end is not None:
            LOGGER.warning("Tried calling set_status on an ended span.")
            return
        if self._status.status_code is _OK:  # OK is final
            return
        if isinstance(status, Status):
            if status.status_code is _UNSET:
                return
            if description is not None:
                LOGGER.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`",
                    description,
                )
            self._status = status
        elif isinstance(status, StatusCode) and status is not _UNSET:
            self._status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        kind = type(exception)
        module = kind.__module__
        try:
            message = str(exception)
            stacktrace = "".join(traceback.format_exception(exception))
        except Exception:  # an exception whose text cannot be made
            message, stacktrace = f"<{kind.__qualname__}>", ""
        recorded: dict[str, types.AnyValue] = {
            EXCEPTION_TYPE: f"{module}.{kind.__qualname__}"
            if module and module != "builtins"
            else kind.__qualname__,
            EXCEPTION_MESSAGE: message,
            EXCEPTION_STACKTRACE: stacktrace,
            EXCEPTION_ESCAPED: str(escaped),
        }
        if attributes:
            recorded.update(attributes)
        self.add_event(name="exception", attributes=recorded, timestamp=timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end is not None:
            LOGGER.warning("Calling end() on an ended span.")
            return
        self._end = time_ns() if end_time is None else end_time
        pipeline = self._source.pipeline
        if pipeline.ending:
            notify_end(pipeline.processors, pipeline.ending, self)
            return
        for processor in pipeline.processors:
            try:
                processor.on_end(self)
            except Exception:
                report_internal_error("span processor on_end")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if exc_val is not None and self._end is None:
            if self.records_exception:
                self.record_exception(exc_val, escaped=True)
            if self.sets_error_status:
                self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    def start(self, start_time: int | None = None, parent_context: object = None) -> None:
        LOGGER.warning("Calling start() on a started span.")

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name="{self._name}", context={self.get_span_context()})'
