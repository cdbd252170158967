#!/usr/bin/env bash
# Peak resident memory (VmHWM) of a process that opens the store and handles
# one page, the way the iOS notification service extension (24 MB limit)
# will. Release build; the store is first filled with 10,000 alerts and pages
# by a separate process so the measured one starts cold.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cargo build --release -q -p klaxon-device --example page_rss
bin=target/release/examples/page_rss
"$bin" populate "$dir/klaxon.db" "$count"
"$bin" "$dir/klaxon.db"
