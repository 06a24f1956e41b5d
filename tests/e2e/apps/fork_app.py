"""Forks after scopetel is set up: the parent's span ended before the fork must not be
sent again by the child, and the child's own span must arrive (once)."""

import os
import sys

from opentelemetry import trace

tracer = trace.get_tracer("e2e.fork")
with tracer.start_as_current_span("before-fork"):
    pass
pid = os.fork()
if pid == 0:
    with tracer.start_as_current_span("in-child"):
        pass
    sys.exit(0)  # a normal exit: atexit handlers flush
_, status = os.waitpid(pid, 0)
with tracer.start_as_current_span("after-fork"):
    pass
print(f"child exit status {os.waitstatus_to_exitcode(status)}")
