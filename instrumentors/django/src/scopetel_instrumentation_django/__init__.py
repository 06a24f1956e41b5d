"""scopetel instrumentor for Django: streaming responses, route names, request data."""
