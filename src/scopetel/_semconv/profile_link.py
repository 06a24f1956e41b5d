"""A span's link to the profile it ran under, kept beside its attributes.

While the profiler samples, a transaction's local root is linked to the profile: the
profiler id, and the thread it runs on (id and name). Sentry shows the root's thread's
samples under the transaction. The link is a tuple in the span's extras, not three
attributes: setting them grew the root's attribute dict on the application thread, and
every pass of the emitter over attributes paid for them (together ~4.4 µs a
transaction, ~2.8 with the tuple: ``benchmarks/RESULTS.md``). Where a span goes out
with its attributes (OTLP, ``ReadableSpan`` copies), the link is written as the
attributes it stands for (``link_attributes``).
"""

from collections.abc import Mapping
from typing import Final

from opentelemetry.util.types import AttributeValue

from scopetel._semconv.sentry_attributes import PROFILER_ID, THREAD_ID, THREAD_NAME

ProfileLink = tuple[str | None, int, str | None]
"""``(profiler id, native thread id, thread name)``; None: not known."""

PROFILER_ID_DATA: Final = "profiler_id"  # sentry_sdk's key in transaction data


def link_attributes(link: ProfileLink) -> dict[str, AttributeValue]:
    """The link as the span attributes it stands for (OpenTelemetry's thread names)."""
    profiler_id, thread_id, thread_name = link
    result: dict[str, AttributeValue] = {THREAD_ID: thread_id}
    if profiler_id is not None:
        result[PROFILER_ID] = profiler_id
    if thread_name is not None:
        result[THREAD_NAME] = thread_name
    return result


def with_link(
    attributes: Mapping[str, AttributeValue], link: ProfileLink | None
) -> Mapping[str, AttributeValue]:
    """``attributes`` with the link's written in (a copy), or ``attributes`` itself."""
    return attributes if link is None else {**attributes, **link_attributes(link)}


def add_link_data(data: dict[str, object], link: ProfileLink) -> None:
    """The link in a transaction's ``data``, as sentry_sdk writes it: the thread id as a
    string, the profiler id under ``profiler_id``."""
    profiler_id, thread_id, thread_name = link
    data[THREAD_ID] = str(thread_id)
    if thread_name is not None:
        data[THREAD_NAME] = thread_name
    if profiler_id is not None:
        data[PROFILER_ID_DATA] = profiler_id
