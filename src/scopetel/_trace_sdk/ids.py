"""Span and trace ids: random bits from scopetel's generator (``_random_ids``: reseeded
in a forked child, untouched by an application's ``random.seed``), never zero.
"""

from typing import Final

from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

from scopetel._random_ids import random_bits

_SPAN_BITS: Final = 64
_TRACE_BITS: Final = 128


def new_span_id() -> int:
    """A random, valid (non-zero) 64-bit span id."""
    return random_bits(_SPAN_BITS) or new_span_id()


def new_trace_id() -> int:
    """A random, valid (non-zero) 128-bit trace id."""
    return random_bits(_TRACE_BITS) or new_trace_id()


class FastIds(IdGenerator):
    """The lean provider's default: uniformly random ids, as the SDK's
    ``RandomIdGenerator`` makes them, without its retry loop on the hot path."""

    def generate_span_id(self) -> int:
        return random_bits(_SPAN_BITS) or new_span_id()

    def generate_trace_id(self) -> int:
        return random_bits(_TRACE_BITS) or new_trace_id()

    def is_trace_id_random(self) -> bool:
        return True


_RANDOM_SPAN_IDS: Final = (FastIds.generate_span_id, RandomIdGenerator.generate_span_id)


class Ids:
    """A provider's id generator; ``inline_span_ids`` when its span ids are plain random
    bits, which the tracer then draws itself (no call)."""

    __slots__ = ("generator", "inline_span_ids")

    def __init__(self, generator: IdGenerator) -> None:
        self.generator = generator
        method = getattr(generator, "generate_span_id", None)
        self.inline_span_ids = getattr(method, "__func__", None) in _RANDOM_SPAN_IDS
