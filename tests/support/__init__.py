"""Helpers shared by the test suites (not part of any distribution)."""
