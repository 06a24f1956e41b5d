"""Configuration: every ``init()`` option declared once (``options``), value checks
(``checks``), resolution from keywords and ``SENTRY_*`` variables (``resolution``), and
scopetel's handling of the standard ``OTEL_*`` variables (``otel_env``)."""
