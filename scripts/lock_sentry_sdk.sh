#!/usr/bin/env bash
# Regenerate scripts/sentry-sdk-requirements.txt (hash-locked) from its .in file, with every
# package that uv.lock also has held at uv.lock's version.
set -euo pipefail
cd "$(dirname "$0")/.."
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
.tools/bin/uv export --quiet --locked --all-packages --all-groups --no-hashes --no-emit-workspace \
    --no-header --no-annotate --format requirements.txt >"$constraints"
.tools/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --constraint "$constraints" --output-file scripts/sentry-sdk-requirements.txt \
    --custom-compile-command "bash scripts/lock_sentry_sdk.sh" scripts/sentry-sdk-requirements.in
