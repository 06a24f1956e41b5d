"""scopetel instrumentor for ASGI servers: streamed bodies, per-request isolation, request data."""
