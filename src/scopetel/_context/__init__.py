"""What is current: values in OpenTelemetry's immutable Context, attached without tokens.

``keys`` names the values, ``entries`` attaches and leaves Contexts in any order,
``scope`` is the Sentry scope (data, forked copy-on-write), ``active_scopes`` finds the
global, isolation and current scopes and runs scope blocks, ``steps`` runs the steps
of an awaitable in a given Context.
"""
