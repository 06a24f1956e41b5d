"""A script for the release-health tests: ``python health_script.py MODE``.

Configured by ``SENTRY_*`` variables only. MODE: ``ok`` (nothing happens), ``handled``
(two handled errors), ``crash`` (an uncaught exception ends it), ``manual`` (its own
session by hand, as with sentry_sdk), ``fork`` (a forked child serves nothing and exits).
"""

import os
import sys

import scopetel

scopetel.init()
mode = sys.argv[1]
if mode == "handled":
    scopetel.set_user({"id": "user-7"})
    for _ in range(2):
        try:
            {}["missing"]
        except KeyError:
            scopetel.capture_exception()
    scopetel.capture_message("not an error for release health")
elif mode == "crash":
    raise RuntimeError("the script crashed")
elif mode == "manual":
    scopetel.start_session()
    scopetel.capture_exception(ValueError("in the manual session"))
    scopetel.end_session()
elif mode == "fork":
    pid = os.fork()
    if pid == 0:
        scopetel.flush()
        sys.exit(0)  # the child's atexit must not send the parent's session
    os.waitpid(pid, 0)
