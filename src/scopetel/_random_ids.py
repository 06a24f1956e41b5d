"""scopetel's random ids: span and trace ids, and UUID4s (event, check-in, session,
profiler and chunk ids), from a generator of scopetel's own.

``uuid.uuid4()`` reads ``os.urandom``, which releases the GIL: in a background thread of
a busy service every id then waits for the GIL to come back (one forced switch away
from the request being served). These ids name things; they guard nothing, so a
Mersenne Twister seeded from ``os.urandom`` is enough. It is scopetel's own, not the
``random`` module's: an application that seeds ``random`` for reproducible runs (tests,
simulations, training jobs) would otherwise send the same event ids run after run
(Sentry drops an event whose id it has seen) and the same trace ids. It is reseeded in
a forked child, so pre-fork workers never repeat their parent's ids.
"""

import os
import random
import uuid
from typing import Final

_generator: Final = random.Random()  # seeded from os.urandom
random_bits: Final = _generator.getrandbits
"""``getrandbits`` of scopetel's generator."""
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_generator.seed)

_VERSION_4: Final = 0x4000 << 64  # bits 76-79 = 0100
_VERSION_MASK: Final = ~(0xF000 << 64)
_VARIANT_RFC4122: Final = 0x8000 << 48  # bits 62-63 = 10
_VARIANT_MASK: Final = ~(0xC000 << 48)


def uuid4_int() -> int:
    """128 random bits with a UUID4's version and variant."""
    return (random_bits(128) & _VERSION_MASK & _VARIANT_MASK) | _VERSION_4 | _VARIANT_RFC4122


def uuid4_hex() -> str:
    """A UUID4 as 32 lowercase hex digits (Sentry's event id form)."""
    return f"{uuid4_int():032x}"


def new_uuid4() -> uuid.UUID:
    """A UUID4 object."""
    return uuid.UUID(int=uuid4_int())
