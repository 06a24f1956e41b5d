"""Instrumentor tests: scopetel's internal errors fail tests instead of being logged."""

import os

os.environ.setdefault("SCOPETEL_RAISE_INTERNAL_ERRORS", "1")

from scopetel.instrumentation import raise_internal_errors

raise_internal_errors(True)
