#!/usr/bin/env bash
# Services the framework tests need that PyPI cannot provide: Debian's redis-server.
# Installed only when missing and only as root (CI and the project's machines run as root);
# otherwise print how to install it: the tests that need it then skip, saying why.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing redis-server (Debian package) for the framework tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    # The package starts a system-wide daemon where an init system runs; the tests start
    # their own on a random port and need none.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q redis-server 2>/dev/null; then
        systemctl stop redis-server || true
    fi
else
    echo "redis-server not found: the Celery/redis framework tests will be skipped." >&2
    echo "Install it with: sudo apt-get install redis-server (or put redis-server on PATH)." >&2
fi
