#!/usr/bin/env bash
# Generates the Kotlin and Swift bindings for klaxon-ffi in library mode
# from the built cdylib, with the workspace's own uniffi-bindgen and
# bindings/uniffi.toml:
#   target/bindings/kotlin/org/klaxon/core/klaxon_ffi.kt   (Android: copy into the app's sources)
#   target/bindings/swift/{KlaxonCore.swift, klaxon_ffiFFI.h, klaxon_ffiFFI.modulemap}
# Generated code is not committed.
#
# Usage: scripts/gen-bindings.sh [--release] [path/to/libklaxon_ffi.so]
#   default: builds the debug cdylib for the host and uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
lib=""
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    *) lib="$arg" ;;
  esac
done

cargo_flags=()
[ "$profile" = release ] && cargo_flags+=(--release)
case "$(uname -s)" in
  Darwin) ext=dylib ;;
  *) ext=so ;;
esac
# The bindgen binary is a host tool: always the debug build (it is built
# once and reused; its first build takes minutes).
cargo build -p klaxon-ffi --features bindgen --bin uniffi-bindgen
bindgen=target/debug/uniffi-bindgen
# Then the cdylib itself, without the bindgen feature (built second, so the
# library left in target/ is the one the shells load).
if [ -z "$lib" ]; then
  cargo build -p klaxon-ffi --lib "${cargo_flags[@]}"
  lib="target/$profile/libklaxon_ffi.$ext"
fi

out=target/bindings
rm -rf "$out/kotlin" "$out/swift"
mkdir -p "$out/kotlin" "$out/swift"
"$bindgen" generate --language kotlin --out-dir "$out/kotlin" --no-format "$lib"
"$bindgen" generate --language swift --out-dir "$out/swift" --no-format "$lib"
echo "gen-bindings: Kotlin in $out/kotlin, Swift in $out/swift (from $lib)"
