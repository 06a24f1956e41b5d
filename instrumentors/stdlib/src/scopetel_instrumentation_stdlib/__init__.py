"""scopetel instrumentors for the standard library: threads, asyncio, logging, excepthooks."""
