"""scopetel's benchmark suite: scopetel, the OpenTelemetry SDK and sentry-sdk side by side.

Run everything with ``.venv/bin/python benchmarks/run.py``; one workload variant alone
(for profiling) with ``.venv/bin/python -m benchmarks.workloads.<name> <variant> --profile``.
"""
