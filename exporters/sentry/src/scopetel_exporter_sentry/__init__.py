"""Sentry wire format and transport for scopetel."""
