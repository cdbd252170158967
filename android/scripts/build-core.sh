#!/usr/bin/env bash
# Builds the Rust core for the app:
#   1. cross-compiles klaxon-ffi with cargo-ndk for arm64-v8a, armeabi-v7a and
#      x86_64 into app/src/main/jniLibs/<abi>/libklaxon_ffi.so;
#   2. generates its Kotlin bindings (scripts/gen-bindings.sh, library mode,
#      from the arm64 library) into app/build/generated/klaxon/kotlin/.
# Neither output is committed. Needs the Android NDK (ANDROID_NDK_HOME, or
# ANDROID_HOME/ndk/<version>), cargo-ndk and the three rustup targets; it
# says which one is missing instead of failing halfway. Gradle runs it
# before every build (task :app:buildCore).
#
# Usage: android/scripts/build-core.sh [--release|--debug]   (default --release)
set -euo pipefail
android=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$android/.." && pwd)

profile=release
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --debug) profile=debug ;;
    *) echo "usage: $0 [--release|--debug]" >&2; exit 2 ;;
  esac
done

ABIS=(arm64-v8a armeabi-v7a x86_64)
TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
MIN_SDK=26

fail() { echo "build-core: $*" >&2; exit 1; }

# The NDK: explicit, or the newest one the SDK manager installed.
ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$ndk" ] || [ ! -d "$ndk" ]; then
  sdk=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}
  if [ -n "$sdk" ] && [ -d "$sdk/ndk" ]; then
    ndk=$(ls -d "$sdk"/ndk/*/ 2>/dev/null | sort -V | tail -1)
    ndk=${ndk%/}
  fi
fi
if [ -z "$ndk" ] || [ ! -d "$ndk/toolchains/llvm" ]; then
  fail "no Android NDK found. Install one (Android Studio > SDK Manager > SDK Tools > NDK (Side by side),
  or: sdkmanager 'ndk;27.2.12479018') and set ANDROID_NDK_HOME to it, or ANDROID_HOME to the SDK.
  This machine has no NDK: the shell is compiled and tested on the JVM instead (android/scripts/test-android.sh)."
fi
export ANDROID_NDK_HOME=$ndk

command -v cargo >/dev/null || fail "cargo is not installed (https://rustup.rs)"
command -v cargo-ndk >/dev/null || fail "cargo-ndk is not installed: cargo install cargo-ndk"
if command -v rustup >/dev/null; then
  installed=$(rustup target list --installed)
  for t in "${TARGETS[@]}"; do
    grep -qx "$t" <<<"$installed" || fail "the Rust target $t is missing: rustup target add ${TARGETS[*]}"
  done
fi

cd "$repo"
flags=()
[ "$profile" = release ] && flags+=(--release)
targs=()
for abi in "${ABIS[@]}"; do targs+=(-t "$abi"); done
echo "build-core: cargo ndk (${ABIS[*]}, API $MIN_SDK, $profile) with $ANDROID_NDK_HOME"
cargo ndk "${targs[@]}" --platform "$MIN_SDK" -o "$android/app/src/main/jniLibs" \
  build -p klaxon-ffi --lib "${flags[@]}"

# Library mode reads the UniFFI metadata from any build of the library; the
# arm64 one is the one the app ships.
bash scripts/gen-bindings.sh "target/aarch64-linux-android/$profile/libklaxon_ffi.so"
out="$android/app/build/generated/klaxon/kotlin"
rm -rf "$out"
mkdir -p "$out"
cp -R target/bindings/kotlin/. "$out/"
echo "build-core: libraries in app/src/main/jniLibs/{$(IFS=,; echo "${ABIS[*]}")}, bindings in app/build/generated/klaxon/kotlin"
