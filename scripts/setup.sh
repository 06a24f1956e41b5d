#!/usr/bin/env bash
# Create .venv/ with every workspace package and the dev tools, and .venv-sentry-sdk/ with the
# real sentry-sdk (kept apart: in .venv/ scopetel provides the `sentry_sdk` import name).
# Needs only python3.11; fast when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
if [ ! -x .tools/bin/uv ]; then
    python3 -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
fi
.tools/bin/uv sync --quiet --all-packages --locked
if [ ! -x .venv-sentry-sdk/bin/python ]; then
    .tools/bin/uv venv --quiet --python "$(.venv/bin/python -c 'import sys; print(sys._base_executable)')" .venv-sentry-sdk
fi
.tools/bin/uv pip sync --quiet --require-hashes --python .venv-sentry-sdk/bin/python \
    scripts/sentry-sdk-requirements.txt
bash scripts/services.sh
# The real Spotlight sidecar for the Spotlight tests (they skip, saying so, without npm).
if command -v npm >/dev/null 2>&1; then
    if [ ! -f tests/spotlight/node_modules/.package-lock.json ] \
        || [ tests/spotlight/package-lock.json -nt tests/spotlight/node_modules/.package-lock.json ]; then
        (cd tests/spotlight && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
else
    echo "setup: npm not found; the Spotlight tests will be skipped"
fi
