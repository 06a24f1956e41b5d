"""scopetel instrumentor for gevent: greenlets inherit the spawner's Context.

Usage
-----

``scopetel.init()`` enables it (entry point ``scopetel_gevent``); by hand::

    from gevent import monkey

    monkey.patch_all()

    from scopetel_instrumentation_gevent import GeventInstrumentor

    GeventInstrumentor().instrument()

What it does
------------

gevent (checked up to 26.9) starts every greenlet in a new, empty ``contextvars``
Context (greenlet's default), so a greenlet spawned inside a span or a request scope
sees neither: its spans start new traces and its events lose the request's tags. With this
instrumentation, every ``gevent.Greenlet`` (``gevent.spawn``, ``Greenlet.spawn``,
``spawn_later``, pools and groups, ``pywsgi`` handlers, and the greenlets that
monkey-patched ``threading`` runs threads in) starts in a copy of the Context of the
code that started it, with forks of the isolation and current scopes (as for threads):
spans nest under the spawner's span, and tags set in a greenlet stay in it, so
concurrent greenlet "requests" stay isolated.

It uses gevent's public ``Greenlet.add_spawn_callback``. gevent is never imported by
this instrumentation: if it is not imported yet at ``instrument()`` time, the callback
is added when ``gevent.monkey.patch_all()`` runs (a ``gevent.plugins.monkey.did_patch_all``
entry point) — the way gunicorn's and most gevent applications start. Raw greenlets
(``gevent.spawn_raw``, ``greenlet.greenlet``) are not covered.
"""

import sys
from collections.abc import Collection
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel_instrumentation_gevent._spawn import add_spawn_callback, remove_spawn_callback

__all__ = ["GeventInstrumentor"]

_INSTRUMENTS: Final = ("gevent >= 24",)


class GeventInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Greenlets start in a copy of their spawner's Context, with forked scopes."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        if "gevent" in sys.modules:
            add_spawn_callback()
        # else: the did_patch_all plugin (``_plugin``) adds it when gevent is patched in

    def _uninstrument(self, **kwargs: Any) -> None:
        if "gevent" in sys.modules:
            remove_spawn_callback()
