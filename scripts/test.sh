#!/usr/bin/env bash
# Set everything up, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin
echo "== ruff"
$PY/ruff check src exporters instrumentors compat accelerators tests scripts examples benchmarks
$PY/ruff format --check src exporters instrumentors compat accelerators tests scripts examples benchmarks
echo "== mypy --strict"
$PY/mypy src/scopetel $(ls -d exporters/*/src/* instrumentors/*/src/* compat/*/src/* accelerators/*/src/* 2>/dev/null | grep -v "\.egg-info$")
echo "== import layers (import-linter)"
$PY/lint-imports --no-cache
echo "== docker compose config"
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f docker-compose.yml config -q
else
    echo "skipped: neither the docker client's compose plugin nor docker-compose is installed"
fi
echo "== pytest"
$PY/pytest -q -p no:cacheprovider --timeout=120 --durations=25 "$@"
