"""Span attribute vocabulary: scopetel's Sentry attributes (``sentry_attributes``),
what OpenTelemetry semantic conventions mean in Sentry terms (``conventions``,
``naming``) and which attributes carry personal data (``personal_data``)."""
