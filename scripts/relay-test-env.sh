# Sourced by the Kotlin test scripts (scripts/test-kotlin.sh and
# android/scripts/test-android.sh): a scratch directory, a free loopback
# port and the environment tests/kotlin/Support.kt reads to start a real
# relay (the CLI, the roster, who is on call now, an admin token).
# Usage: . scripts/relay-test-env.sh NAME   (NAME prefixes the temp dir and token)
work=$(mktemp -d "${TMPDIR:-/tmp}/klaxon-$1.XXXXXX")
trap 'rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
person=$(target/debug/klaxon roster who --config tests/fixtures/roster.toml --schedule primary --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["people"][0])')
export KLAXON_BIN=$PWD/target/debug/klaxon KLAXON_ROSTER=$PWD/tests/fixtures/roster.toml \
  KLAXON_WORK=$work KLAXON_PORT=$port KLAXON_PERSON=$person \
  KLAXON_ADMIN_TOKEN=$1-test-$RANDOM$RANDOM
