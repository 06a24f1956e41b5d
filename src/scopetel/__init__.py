"""scopetel: Sentry developer experience on OpenTelemetry."""
