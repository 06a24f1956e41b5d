"""A span's rarer data kept out of the span itself (``SpanExtras``), and links held to
the limits as the SDK holds them."""

from collections.abc import Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext
from opentelemetry.util import types

from scopetel._semconv.profile_link import ProfileLink
from scopetel._trace_sdk.source import SpanSource


class SpanExtras:
    """What most spans never have: events, links, attributes dropped by the limits, a
    link to the profile (``_semconv.profile_link``); made by the first of them."""

    __slots__ = (
        "dropped_attributes",
        "events",
        "links",
        "profile",
    )

    def __init__(self) -> None:
        self.dropped_attributes = 0
        self.events: BoundedList[Any] | None = None
        self.links: BoundedList[Any] | None = None
        self.profile: ProfileLink | None = None


def valid_link(context: SpanContext | None, attributes: types.Attributes) -> bool:
    """A link worth keeping, as the SDK decides: a valid context, or data on it."""
    return bool(context and (context.is_valid or attributes or context.trace_state))


def bounded_link(link: Link, source: SpanSource) -> Link:
    """A copy of ``link`` whose attributes are held to the link limits."""
    limits = source.limits
    attributes = BoundedAttributes(
        limits.max_link_attributes,
        link.attributes,
        max_value_len=limits.max_attribute_length,
        immutable=True,
    )
    return Link(link.context, attributes)


def links_of(links: Sequence[Link] | None, source: SpanSource) -> BoundedList[Any] | None:
    """The links a span starts with, held to the limits (None for none)."""
    valid = [
        bounded_link(link, source)
        for link in links or ()
        if link and valid_link(link.context, link.attributes)
    ]
    return BoundedList.from_seq(source.limits.max_links, valid) if valid else None
