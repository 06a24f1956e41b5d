"""Root conftest: makes ``tests.support`` importable from every test tree."""
