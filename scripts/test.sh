#!/usr/bin/env bash
# Set everything up, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin
echo "== ruff"
$PY/ruff check src exporters instrumentors tests scripts examples benchmarks
$PY/ruff format --check src exporters instrumentors tests scripts examples benchmarks
echo "== mypy --strict"
$PY/mypy src/scopetel $(ls -d exporters/*/src/* instrumentors/*/src/* 2>/dev/null)
echo "== pytest"
$PY/pytest -q -p no:cacheprovider --timeout=120 "$@"
