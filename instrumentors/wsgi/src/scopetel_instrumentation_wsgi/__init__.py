"""scopetel instrumentor for WSGI servers: streamed bodies, per-request isolation, request data."""
