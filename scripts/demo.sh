#!/usr/bin/env bash
# The demo in one command: set up, start `scopetel serve`, run the example web application
# (examples/demo_app.py, Starlette under uvicorn) under opentelemetry-instrument configured
# only by environment variables, send it concurrent requests, then show what arrived.
# Everything it starts is stopped when it exits, also on failure or Ctrl-C.
# (The in-memory API tour is `.venv/bin/python examples/quickstart.py`.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

BIN=.venv/bin
# A private directory per run (runs may overlap, e.g. two test suites in one checkout);
# the JSON-lines file is kept as .demo/events.jsonl at the end.
OUT=$(mktemp -d "${TMPDIR:-/tmp}/scopetel-demo.XXXXXX")
serve_pid=""
app_pid=""

stop() { # SIGTERM, then SIGKILL if still running after 10 s
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$app_pid"
    stop "$serve_pid"
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

color=never
if [ -t 1 ]; then color=always; fi

echo "== starting scopetel serve (a local Sentry + OTLP receiver)"
: >"$OUT/serve.log" # exists before it is read: the child opens it only once it runs
: >"$OUT/app.log"
"$BIN/scopetel" serve --port 0 --jsonl "$OUT/events.jsonl" --color "$color" --exit-after 300 \
    >"$OUT/serve.log" 2>&1 &
serve_pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|^scopetel serve listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$OUT/serve.log")
    if [ -n "$port" ] || ! kill -0 "$serve_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "scopetel serve did not start:" >&2
    cat "$OUT/serve.log" >&2
    exit 1
fi
sed -n '2,3p' "$OUT/serve.log"

app_port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
settings=(
    "SENTRY_DSN=http://scopetel@127.0.0.1:$port/1"
    "SENTRY_TRACES_SAMPLE_RATE=1.0"
    "SENTRY_ENVIRONMENT=demo"
    "SENTRY_RELEASE=scopetel-demo@0.1.0"
    "OTEL_SERVICE_NAME=scopetel-demo"
    "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port"
    "OTEL_BSP_SCHEDULE_DELAY=200"
)
if "$BIN/python" -c "import scopetel._setup.distro" 2>/dev/null; then
    launcher=("$BIN/opentelemetry-instrument")
    echo "== starting examples/demo_app.py on http://127.0.0.1:$app_port:"
    echo "   opentelemetry-instrument uvicorn, configured only by"
else
    launcher=()
    echo "== starting examples/demo_app.py on http://127.0.0.1:$app_port:"
    echo "   uvicorn (scopetel's distro cannot be imported: the app calls scopetel.init()"
    echo "   itself), configured only by"
fi
printf '     %s\n' "${settings[@]}"
env "${settings[@]}" "${launcher[@]}" "$BIN/uvicorn" --app-dir examples demo_app:app \
    --interface asgi3 --host 127.0.0.1 --port "$app_port" --no-access-log --log-level warning \
    >"$OUT/app.log" 2>&1 &
app_pid=$!

echo "== sending GET /fanout, GET /stream and POST /checkout at the same time"
if ! "$BIN/python" examples/demo_client.py "http://127.0.0.1:$app_port" --wait 20; then
    echo "the application did not answer as expected; its log:" >&2
    cat "$OUT/app.log" >&2
    exit 1
fi

count() { grep -c "\"kind\": \"$1\"" "$OUT/events.jsonl" 2>/dev/null || true; }
echo "== waiting for the telemetry: 3 transactions and an error (Sentry), the same spans by OTLP"
previous=-1
settled=0
for _ in $(seq 150); do
    spans=$(count otlp_span)
    if [ "$spans" -gt 0 ] && [ "$spans" -eq "$previous" ]; then settled=$((settled + 1)); else settled=0; fi
    previous=$spans
    if [ "$(count transaction)" -ge 3 ] && [ "$(count event)" -ge 1 ] \
        && { [ ${#launcher[@]} -eq 0 ] || [ "$settled" -ge 5 ]; }; then
        break
    fi
    sleep 0.1
done
stop "$app_pid"
app_pid=""
stop "$serve_pid"
serve_pid=""

if [ -s "$OUT/app.log" ]; then
    echo "== the application's log"
    head -n 20 "$OUT/app.log"
fi
echo "== what scopetel serve received and printed"
tail -n +6 "$OUT/serve.log"
mkdir -p .demo
cp "$OUT/events.jsonl" ".demo/events.jsonl.$$"
mv -f ".demo/events.jsonl.$$" .demo/events.jsonl
echo "== every item is also in .demo/events.jsonl ($(wc -l <"$OUT/events.jsonl") lines)"
