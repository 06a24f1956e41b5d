"""Random UUID4 ids (event, check-in, session, profiler and chunk ids) without a syscall.

``uuid.uuid4()`` reads ``os.urandom``, which releases the GIL: in a background thread of
a busy service every id then waits for the GIL to come back (one forced switch away
from the request being served). These ids name things; they guard nothing, so the
interpreter's generator (reseeded in a forked child, as for span and trace ids) is
enough. The version and variant bits are those of a UUID4.
"""

import uuid
from random import getrandbits
from typing import Final

_VERSION_4: Final = 0x4000 << 64  # bits 76-79 = 0100
_VERSION_MASK: Final = ~(0xF000 << 64)
_VARIANT_RFC4122: Final = 0x8000 << 48  # bits 62-63 = 10
_VARIANT_MASK: Final = ~(0xC000 << 48)


def uuid4_int() -> int:
    """128 random bits with a UUID4's version and variant."""
    return (getrandbits(128) & _VERSION_MASK & _VARIANT_MASK) | _VERSION_4 | _VARIANT_RFC4122


def uuid4_hex() -> str:
    """A UUID4 as 32 lowercase hex digits (Sentry's event id form)."""
    return f"{uuid4_int():032x}"


def new_uuid4() -> uuid.UUID:
    """A UUID4 object."""
    return uuid.UUID(int=uuid4_int())
