#!/usr/bin/env bash
# Peak resident memory of the notification service extension's work on the
# host: a release build of ios/tools/push-rss opens the Pager on a state
# directory (enrolled with a real `klaxon serve`, holding N earlier pages)
# and calls handle_push with the APNs userInfo JSON of a new sealed page,
# exactly what NotificationService.swift does, then repeats it (a duplicate).
# Prints the tool's output; the last line is "VmHWM after handle_push: K KiB".
#
# Usage: ios/scripts/measure-push-rss.sh [N]   (default N = 2000 earlier pages)
set -euo pipefail
ios="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ios/.." && pwd)"
cd "$repo"
count="${1:-2000}"

# The tool is its own workspace (the root one is not ios/'s to edit); it
# builds with the root lock file and target/ so its dependencies are the
# ones the app ships, and cargo reuses what the workspace already built.
cp Cargo.lock ios/tools/push-rss/Cargo.lock
CARGO_TARGET_DIR="$repo/target" cargo build -q --release --manifest-path ios/tools/push-rss/Cargo.toml
cargo build -q -p klaxon --bin klaxon
tool="$repo/target/release/push_rss"
klaxon="$repo/target/debug/klaxon"

work="$(mktemp -d)"
relay_pid=""
cleanup() {
  if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
export KLAXON_ADMIN_TOKEN="push-rss-$RANDOM$RANDOM"
"$klaxon" serve --config tests/fixtures/roster.toml --db "$work/relay.db" --listen "127.0.0.1:$port" \
  >"$work/relay.log" 2>&1 &
relay_pid=$!
for _ in $(seq 1 300); do
  if curl -fs "$url/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$relay_pid" 2>/dev/null || { cat "$work/relay.log" >&2; exit 1; }
  sleep 0.1
done
code="$("$klaxon" invite --relay "$url" --person alice | tr -d '[:space:]')"

"$tool" prepare "$work/state" "$url" "$code" "$count" "$work/push.json"
# The extension never talks to the relay for a sealed page: stop it first.
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=""
"$tool" measure "$work/state" "$url" "$work/push.json"
