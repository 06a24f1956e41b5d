"""The client: turns captured errors and finished segments into envelopes for a transport.

It owns the options and the transport. Everything user-supplied (hooks, event
processors) is guarded: a failing hook is logged and never breaks the application.
"""

import copy
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, Final

from scopetel_exporter_sentry.envelope import Envelope, Item

from scopetel._config.options import Options
from scopetel._context.scope import Event, Hint, Scope
from scopetel._events.assembly import apply_scopes, finalize, run_event_processors
from scopetel._events.scrubber import annotate_filtered, scrub_event
from scopetel._events.stacktrace import FrameOptions, app_root
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.frozen_dscs import FrozenDscs
from scopetel._propagation.targets import Targets
from scopetel._serialize import to_json_safe
from scopetel.attachments import envelope_items, of_scopes

LOGGER: Final = logging.getLogger("scopetel")
_CUSTOM_SCRUBBED: Final = (
    "request",
    "extra",
    "user",
    "breadcrumbs",
    "exception",
    "threads",
    "stacktrace",
    "spans",
)


class Client:
    """Options + transport. One is active per process (``get_client``)."""

    def __init__(self, options: Options, transport: Any) -> None:
        self.options = options
        self.transport = transport
        self.frozen_dscs = FrozenDscs()
        self.integration_names: tuple[str, ...] = ()
        """The enabled integrations (``sdk.integrations``), as ``init()`` set them up."""
        self.targets = Targets.of(options.propagate_traces, options.trace_propagation_targets)
        self.frame_options = FrameOptions(
            in_app_include=options.in_app_include,
            in_app_exclude=options.in_app_exclude,
            include_local_variables=options.include_local_variables,
            include_source_context=options.include_source_context,
            max_value_length=options.max_value_length,
            project_root=options.project_root,
            app_root=app_root(options.project_root),
            custom_repr=options.custom_repr,
        )

    @property
    def sending(self) -> bool:
        return self.transport is not None

    # -- errors ------------------------------------------------------------------------
    def capture_event(
        self,
        event: Event,
        hint: Hint | None,
        scopes: Sequence[Scope],
        trace: dict[str, Any],
        dsc: DynamicSamplingContext | None = None,
    ) -> str | None:
        """Process and send an error/message event; its id, or None when dropped."""
        if self.transport is None:
            return None
        hint = hint or {}
        if self._ignored(hint):
            return None
        if self.options.sample_rate < 1.0 and random.random() >= self.options.sample_rate:
            self.record_lost("sample_rate", "error")
            return None
        apply_scopes(event, scopes, self.options.max_breadcrumbs)
        contexts = event.setdefault("contexts", {})
        contexts.setdefault("trace", trace)
        hint.setdefault("attachments", self.attachments_of(scopes, transaction=False))
        processed = self._user_hooks(event, hint, scopes)
        if processed is None:
            return None
        headers: dict[str, Any] = {"event_id": processed["event_id"], "sent_at": now_iso()}
        if dsc is not None:
            headers["trace"] = dsc.to_envelope_header()
        items = [json_item("event", processed), *self.attachment_items(hint)]
        self.send(Envelope(headers, items))
        return str(processed["event_id"])

    # -- attachments (scopetel.attachments) ------------------------------------------
    @staticmethod
    def attachments_of(scopes: Sequence[Scope], *, transaction: bool) -> list[object]:
        return of_scopes((scope.data.attachments for scope in scopes), transaction)

    def attachment_items(self, hint: Hint) -> list[Item]:
        """The items of ``hint["attachments"]`` (which hooks may have changed)."""
        attachments = hint.get("attachments")
        if not attachments or not isinstance(attachments, (list, tuple)):
            return []
        return envelope_items(attachments, self.record_lost)

    def _ignored(self, hint: Hint) -> bool:
        exc_info = hint.get("exc_info")
        if not exc_info or not self.options.ignore_errors:
            return False
        error_type = exc_info[0]
        for ignored in self.options.ignore_errors:
            if isinstance(ignored, str):
                if ignored in (
                    error_type.__name__,
                    f"{error_type.__module__}.{error_type.__name__}",
                ):
                    return True
            elif issubclass(error_type, ignored):
                return True
        return False

    def _user_hooks(self, event: Event, hint: Hint, scopes: Sequence[Scope]) -> Event | None:
        """Event processors, then the common fields and scrubbing, then ``before_send``
        (sentry_sdk's order: the hook sees what would be sent)."""
        try:
            result = run_event_processors(event, hint, scopes)
        except Exception:
            LOGGER.warning("scopetel: an event processor raised; event sent as is", exc_info=True)
            result = event
        if result is None:
            self.record_lost("event_processor", "error")
            return None
        self.prepare(result)
        hook = self.options.before_send
        if hook is None:
            return result
        try:
            final = hook(result, hint)
        except Exception:
            LOGGER.warning("scopetel: before_send raised; event sent as is", exc_info=True)
            return result
        if final is None:
            self.record_lost("before_send", "error")
            return None
        if final is not result and isinstance(final, dict):
            finalize(final, self.options)  # a new event from the hook: give it the fields
            return final
        return result

    def prepare(self, event: Event) -> None:
        """Fill the common fields, make every value JSON-safe, then scrub (in that order:
        an object becomes data, or its ``repr``, before it is scrubbed)."""
        finalize(event, self.options)
        scrub_event(event, self.options.send_default_pii)
        if self.options.event_scrubber is not None:
            self._custom_scrub(event)

    def _custom_scrub(self, event: Event) -> None:
        """``init(event_scrubber=...)`` after scopetel's own scrubbing, on copies of what it
        may change in place (nested values may be shared with the scopes)."""
        for key in _CUSTOM_SCRUBBED:
            if key in event:
                event[key] = copy.deepcopy(event[key])
        try:
            self.options.event_scrubber.scrub_event(event)
        except Exception:
            LOGGER.warning("scopetel: the event_scrubber raised; event sent as is", exc_info=True)
        annotate_filtered(event, _CUSTOM_SCRUBBED)

    # -- transport ---------------------------------------------------------------------
    def send(self, envelope: Envelope) -> None:
        if self.transport is None:
            return
        try:
            self.transport.capture_envelope(envelope)
        except Exception:
            LOGGER.warning("scopetel: the transport raised; envelope dropped", exc_info=True)

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        record = getattr(self.transport, "record_lost", None)
        if record is not None:
            record(reason, category, quantity)

    def flush(self, timeout: float) -> bool:
        flush = getattr(self.transport, "flush", None)
        return bool(flush(timeout)) if flush is not None else True

    def close(self, timeout: float) -> None:
        close = getattr(self.transport, "close", None)
        if close is not None:
            close(timeout)


def json_item(item_type: str, payload: Event) -> Item:
    """An envelope item; values JSON cannot carry (NaN, odd objects) are made safe first."""
    try:
        return Item.from_json(item_type, payload)
    except Exception:  # TypeError, ValueError, RecursionError (a deep hook result) …
        safe = to_json_safe(
            payload, max_depth=50, max_breadth=100_000, max_string=1_000_000, max_nodes=10_000_000
        )
        return Item.from_json(item_type, safe)


def now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


# The active client: set by ``init()``, read by every capture. None until then.
_active: Client | None = None


def get_client() -> Client | None:
    return _active


def set_client(client: Client | None) -> Client | None:
    """Install ``client``; returns the one it replaces."""
    global _active
    old, _active = _active, client
    return old
