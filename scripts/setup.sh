#!/usr/bin/env bash
# Create .venv/ with every workspace package and the dev tools. Needs only python3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
if [ ! -x .tools/bin/uv ]; then
    python3 -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
fi
.tools/bin/uv sync --quiet --all-packages --locked
bash scripts/services.sh
