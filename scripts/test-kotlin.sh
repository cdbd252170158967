#!/usr/bin/env bash
# The Kotlin binding tests on the host JVM, against the real cdylib (JNA)
# and a real relay (`klaxon serve`) on loopback:
#   1. builds the klaxon CLI and the debug cdylib, generates the bindings;
#   2. compiles the generated Kotlin with tests/kotlin/*.kt (kotlinc, JNA,
#      kotlinx-coroutines, JUnit 4 from .tools/, see setup-kotlin.sh);
#   3. runs them; the relay tests start and stop the relay themselves.
# Closes with "N passed, N failed". Options:
#   --offline   only the tests that need no relay
#   --bench     afterwards, the FFI benchmark against the RELEASE cdylib
set -euo pipefail
cd "$(dirname "$0")/.."

offline=""; bench=""
for arg in "$@"; do
  case "$arg" in
    --offline) offline=--offline ;;
    --bench) bench=1 ;;
    *) echo "usage: $0 [--offline] [--bench]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-kotlin.sh >/dev/null
KOTLINC=.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc
CP=$(ls .tools/jars/*.jar | tr '\n' ':').tools/kotlin/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar

cargo build -p klaxon
bash scripts/gen-bindings.sh

out=target/kotlin-tests
mkdir -p "$out"
jar=$out/klaxon-kotlin-tests.jar
sources=(target/bindings/kotlin/org/klaxon/core/klaxon_ffi.kt tests/kotlin/*.kt)
# Recompile only when a source changed (kotlinc takes most of a minute).
if [ ! -f "$jar" ] || [ -n "$(find "${sources[@]}" -newer "$jar" 2>/dev/null)" ]; then
  echo "== kotlinc (${#sources[@]} files)"
  "$KOTLINC" -nowarn -jvm-target 17 -cp "$CP" -d "$jar" "${sources[@]}"
fi

. scripts/relay-test-env.sh kotlin

echo "== Kotlin binding tests (relay on 127.0.0.1:$port, on call now: $person)"
java -Djna.library.path="$PWD/target/debug" -cp "$jar:$CP" org.klaxon.tests.MainKt $offline

if [ -n "$bench" ]; then
  cargo build -p klaxon-ffi --lib --release
  # Twice: every UniFFI call allocates JNA Structures whose native memory
  # JNA tracks in one global map until a GC lets its cleaner free them, so
  # the per-call cost depends on how much the heap may grow between
  # collections. An Android app's heap grows by at most
  # dalvik.vm.heapmaxfree (8 MB on most phones) before ART collects; a
  # desktop JVM on a 24 GiB box sizes its young generation in GiB.
  echo "== FFI benchmark (release cdylib), phone-sized young generation: -Xmn8m"
  java -Xmn8m -Djna.library.path="$PWD/target/release" -cp "$jar:$CP" org.klaxon.tests.BenchKt
  echo "== FFI benchmark (release cdylib), desktop JVM defaults"
  java -Djna.library.path="$PWD/target/release" -cp "$jar:$CP" org.klaxon.tests.BenchKt
fi
