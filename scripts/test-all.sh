#!/usr/bin/env bash
# Sets up everything the tests need (idempotent) and runs every test.
# This is the README's test command; .ci/run calls it. Each stage prints a
# header; any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { echo; echo "== $*"; }

stage "setup (venv, kotlinc + jars, Alertmanager, tmux; idempotent)"
bash scripts/setup.sh

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

stage "cargo test (core, relay, CLI, FFI, cross-crate end-to-end)"
cargo test --workspace

stage "python tests (real clients: icalendar, the PyPI pagerduty client, Prometheus Alertmanager + amtool)"
.venv/bin/python -m pytest -q tests/python

stage "Kotlin binding tests on the host JVM (real cdylib, real relay)"
bash scripts/test-kotlin.sh

stage "iOS shell checks (tree-sitter parse, bindings usage vs fresh Swift bindings, memory)"
bash ios/scripts/check-ios.sh

stage "Android shell (compiles against android-all; Robolectric tests with the real core)"
bash android/scripts/test-android.sh
