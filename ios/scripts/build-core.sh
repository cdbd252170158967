#!/usr/bin/env bash
# Builds the Rust core for iOS and generates its Swift bindings:
#   ios/KlaxonCore/KlaxonCore.xcframework   static libklaxon_ffi.a for
#       ios-arm64 (devices) and ios-arm64_x86_64-simulator (the two simulator
#       slices joined with lipo), each with klaxon_ffiFFI.h + module.modulemap
#   ios/KlaxonCore/KlaxonCore.swift         the UniFFI Swift bindings
# Both are build outputs (not committed); the Xcode project compiles the
# Swift file into the app and the extension and links the XCFramework.
#
# Usage: ios/scripts/build-core.sh [--debug]
#   --debug: unoptimised libraries (faster to build, far larger and slower;
#            the extension's 24 MB limit is only checked with release).
# Needs macOS with Xcode (xcodebuild, lipo), rustup and cargo.
set -euo pipefail
ios="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ios/.." && pwd)"
cd "$repo"

profile=release
for arg in "$@"; do
  case "$arg" in
    --debug) profile=debug ;;
    *) echo "build-core: unknown argument $arg (usage: build-core.sh [--debug])" >&2; exit 2 ;;
  esac
done

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)

# --- what this machine lacks, all said at once -------------------------------
missing=()
if [ "$(uname -s)" != Darwin ]; then
  missing+=("macOS: this is $(uname -s); the iOS SDK, lipo and xcodebuild exist only on a Mac")
else
  command -v xcodebuild >/dev/null && xcode-select -p >/dev/null 2>&1 \
    || missing+=("Xcode: install it from the App Store, then run: sudo xcode-select -s /Applications/Xcode.app")
  command -v lipo >/dev/null || missing+=("lipo: part of Xcode's command line tools (xcode-select --install)")
fi
if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
  missing+=("Rust: install rustup from https://rustup.rs (cargo and rustup must be on PATH)")
else
  installed="$(rustup target list --installed)"
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || missing+=("Rust target $t: rustup target add $t")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build-core: cannot build the iOS core on this machine. Missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

# --- the static library per target --------------------------------------------
# The crate declares cdylib + lib; iOS apps link a static library, so the
# crate type is chosen here (`cargo rustc --crate-type`), without touching
# bindings/Cargo.toml. C code built by cc (SQLite, ring) targets iOS 16 too.
export IPHONEOS_DEPLOYMENT_TARGET=16.0
flags=()
[ "$profile" = release ] && flags+=(--release)
for t in "${targets[@]}"; do
  echo "build-core: klaxon-ffi for $t ($profile)"
  cargo rustc -p klaxon-ffi --lib --crate-type staticlib --target "$t" "${flags[@]}"
done

work="$repo/target/ios-xcframework"
rm -rf "$work"
mkdir -p "$work/headers" "$work/simulator"
lipo -create \
  "target/aarch64-apple-ios-sim/$profile/libklaxon_ffi.a" \
  "target/x86_64-apple-ios/$profile/libklaxon_ffi.a" \
  -output "$work/simulator/libklaxon_ffi.a"

# --- the Swift bindings, header and module map ----------------------------------
# Generated in library mode from the host build of the same crate (the
# metadata is identical for every target).
gen_flags=()
[ "$profile" = release ] && gen_flags+=(--release)
bash scripts/gen-bindings.sh "${gen_flags[@]}"
cp target/bindings/swift/klaxon_ffiFFI.h "$work/headers/"
# Clang finds a module through a file named module.modulemap next to the headers.
cp target/bindings/swift/klaxon_ffiFFI.modulemap "$work/headers/module.modulemap"

out="$ios/KlaxonCore"
mkdir -p "$out"
rm -rf "$out/KlaxonCore.xcframework"
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$profile/libklaxon_ffi.a" -headers "$work/headers" \
  -library "$work/simulator/libklaxon_ffi.a" -headers "$work/headers" \
  -output "$out/KlaxonCore.xcframework"
cp target/bindings/swift/KlaxonCore.swift "$out/KlaxonCore.swift"

echo "build-core: $out/KlaxonCore.xcframework and $out/KlaxonCore.swift are ready ($profile)."
echo "build-core: open ios/Klaxon.xcodeproj in Xcode."
