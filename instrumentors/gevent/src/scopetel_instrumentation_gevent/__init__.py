"""scopetel instrumentor for gevent: greenlets inherit the spawner's Context."""
