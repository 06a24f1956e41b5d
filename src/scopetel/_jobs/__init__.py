"""Shared machinery of scopetel's consumer instrumentors (Celery): ``job`` is the
lifecycle of one queued job run by this process (scopes, consumer span, end)."""
