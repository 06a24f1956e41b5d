"""The one import surface of scopetel's instrumentor distributions."""
