"""Sending on the capturing thread, for an SDK thread that may wait for the network.

Handing an envelope to a sender thread costs more than it seems on a busy process: the
sender must be woken, and each of its steps (compressing, ``sendall``, each ``recv``)
releases the GIL and must take it back from the application's thread, a hand-over each
time. scopetel's emitter thread, which turns finished segments into transactions, may
itself wait for a nearby Sentry without holding anything up but its own queue. Around
such a capture it says so with ``sending_inline()``, and ``HttpTransport`` then sends
the envelope on that thread, when the backend is known to answer fast: the last send
(by any thread) was delivered within ``INLINE_MAX`` seconds. Otherwise (a distant or
slow Sentry, a failure, nothing sent yet) the sender threads take it as always, and
their next fast delivery makes the capturing thread send again. Measured on the Flask
and FastAPI apps of ``benchmarks/request_overhead.py`` (saturated, Sentry on loopback):
the added latency fell by a fifth to nearly half, the SDK threads' CPU per request by
~0.1-0.2 ms.

Application threads never set the flag: only a thread of the SDK's own that is allowed
to wait (the emitter sets it per item, and only while its queue is short).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["INLINE_MAX", "may_send_inline", "sending_inline"]

INLINE_MAX: Final = 0.01  # seconds: a send delivered this fast lets the next go inline

_state = threading.local()


@contextmanager
def sending_inline() -> Iterator[None]:
    """Within the block, this thread's captures may be sent on it (see the module)."""
    previous = getattr(_state, "inline", False)
    _state.inline = True
    try:
        yield
    finally:
        _state.inline = previous


def may_send_inline() -> bool:
    """Whether the current thread is inside ``sending_inline()``."""
    return getattr(_state, "inline", False)
