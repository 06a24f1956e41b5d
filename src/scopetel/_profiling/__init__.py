"""Continuous profiling: a sampling thread, profile chunks, and the links from spans.

* ``sampler``: one pass over every thread's stack (``sys._current_frames()``) into a chunk;
* ``frames``/``chunk``: Sentry's profile frames, and a chunk of deduplicated frames,
  stacks and samples (Sentry's continuous-profiling format, version 2);
* ``tasks``: which asyncio task each event-loop thread is running;
* ``profiler``: the daemon thread that samples at a fixed rate and sends chunks;
* ``links``: the span processor that tags spans with the profiler and thread, and runs
  the profiler while root spans are open (the ``trace`` lifecycle);
* ``session``: options to a profiler, ``start_profiler``/``stop_profiler``, flush, fork
  and shutdown.

Nothing here runs unless profiling is configured: without it no thread is started and no
span processor is added, so spans cost exactly what they cost without this package.
"""
