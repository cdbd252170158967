#!/usr/bin/env bash
# Verifies the Android shell on this machine, which has no Android SDK:
#   1. installs what it needs, pinned and idempotent: kotlinc + JNA/JUnit
#      (scripts/setup-kotlin.sh), Robolectric 4.16.1 and its dependencies
#      (mvn, from android/host-tests/pom.xml) and the Android 14 (API 34)
#      framework jars android-all (API) and android-all-instrumented (runtime),
#      SHA-1-checked, into .tools/android;
#   2. builds the host cdylib and the klaxon CLI and generates the Kotlin
#      bindings (scripts/gen-bindings.sh);
#   3. compiles EVERY Kotlin source of the shell (app/src/main/java) with
#      the bindings and the Firebase signature stubs (host-tests/stubs)
#      against android-all: the Android framework API;
#   4. runs the Robolectric tests (host-tests/src) on the JVM against the
#      real core (JNA) and a real relay (`klaxon serve` on loopback).
# Closes with "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
android=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$android/.." && pwd)
cd "$repo"

ROBOLECTRIC=4.16.1
# Android 14 (API 34): the newest Robolectric runs on Java 17 (API 35 needs 21).
ANDROID_API_JAR_VERSION=14-robolectric-10818077
# The instrumentation level Robolectric $ROBOLECTRIC expects (DefaultSdkProvider).
PREINSTRUMENTED=7
MAVEN=https://repo1.maven.org/maven2
tools=$repo/.tools/android

for tool in java mvn curl sha1sum unzip python3 cargo; do
  command -v "$tool" >/dev/null || { echo "test-android: $tool is required but not installed" >&2; exit 1; }
done

# --- 1. tools -------------------------------------------------------------
bash scripts/setup-kotlin.sh >/dev/null
KOTLINC=.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc
STDLIB=.tools/kotlin/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar

# Robolectric's jars. The marker names the pom's hash: a changed pom re-resolves.
deps=$tools/robolectric
stamp=$(sha1sum "$android/host-tests/pom.xml" | cut -c1-40)
if [ "$(cat "$deps/.resolved" 2>/dev/null)" != "$stamp" ]; then
  echo "test-android: resolving Robolectric $ROBOLECTRIC and its dependencies (mvn)"
  rm -rf "$deps.tmp"
  mkdir -p "$tools"
  mvn -q -B -f "$android/host-tests/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:2.8:copy-dependencies \
    -DoutputDirectory="$deps.tmp" -DincludeScope=runtime >"$tools/mvn.log" 2>&1 ||
    { cat "$tools/mvn.log" >&2; echo "test-android: mvn failed (log above)" >&2; exit 1; }
  # androidx.test's monitor ships as an .aar: its classes.jar is what the JVM loads.
  for aar in "$deps.tmp"/*.aar; do
    [ -e "$aar" ] || continue
    unzip -p "$aar" classes.jar >"${aar%.aar}.jar"
    rm "$aar"
  done
  rm -rf "$deps"
  mv "$deps.tmp" "$deps"
  echo "$stamp" >"$deps/.resolved"
fi

# The Android framework, twice: the plain jar is the API the shell compiles
# against; the instrumented one is what Robolectric runs (its classes carry
# Robolectric's hooks, which a subclass cannot compile against).
fetch() { # group path, version, file name
  local dest=$tools/android-all/$3 url=$MAVEN/$1/$2/$3
  if [ -f "$dest" ] && [ -f "$dest.sha1" ] && [ "$(sha1sum "$dest" | cut -c1-40)" = "$(cut -c1-40 "$dest.sha1")" ]; then
    return
  fi
  echo "test-android: downloading $3 (about 140 MB)"
  curl -fsSL --retry 3 -o "$dest.tmp" "$url"
  curl -fsSL --retry 3 -o "$dest.sha1" "$url.sha1"
  if [ "$(sha1sum "$dest.tmp" | cut -c1-40)" != "$(tr -d ' \n\r' <"$dest.sha1" | cut -c1-40)" ]; then
    rm -f "$dest.tmp" "$dest.sha1"
    echo "test-android: SHA-1 mismatch for $3" >&2
    exit 1
  fi
  mv "$dest.tmp" "$dest"
}
mkdir -p "$tools/android-all"
fetch org/robolectric/android-all "$ANDROID_API_JAR_VERSION" "android-all-$ANDROID_API_JAR_VERSION.jar"
fetch org/robolectric/android-all-instrumented "$ANDROID_API_JAR_VERSION-i$PREINSTRUMENTED" \
  "android-all-instrumented-$ANDROID_API_JAR_VERSION-i$PREINSTRUMENTED.jar"
api_jar=$tools/android-all/android-all-$ANDROID_API_JAR_VERSION.jar

# --- 2. core ----------------------------------------------------------------
cargo build -p klaxon
bash scripts/gen-bindings.sh
out=$repo/target/android-tests
mkdir -p "$out/bindings"
# A private copy: gen-bindings.sh rewrites target/bindings on every run.
cp target/bindings/kotlin/org/klaxon/core/klaxon_ffi.kt "$out/bindings/klaxon_ffi.kt.new"
cmp -s "$out/bindings/klaxon_ffi.kt.new" "$out/bindings/klaxon_ffi.kt" 2>/dev/null ||
  mv "$out/bindings/klaxon_ffi.kt.new" "$out/bindings/klaxon_ffi.kt"
rm -f "$out/bindings/klaxon_ffi.kt.new"

# --- 3. compile the shell against the framework ---------------------------
JARS=$(ls .tools/jars/*.jar | tr '\n' ':')
ROBO=$(ls "$deps"/*.jar | tr '\n' ':')
app_jar=$out/klaxon-android-app.jar
# Every source of the shell, in its package and the subpackages (ring/,
# notify/, push/, sync/, ui/).
mapfile -t shell_sources < <(find "$android/app/src/main/java/org/klaxon/android" -name '*.kt' | sort)
app_sources=("$out/bindings/klaxon_ffi.kt" "${shell_sources[@]}" "$android"/host-tests/stubs/*.kt)
if [ ! -f "$app_jar" ] || [ -n "$(find "${app_sources[@]}" -newer "$app_jar" 2>/dev/null)" ]; then
  echo "== kotlinc: the shell (${#app_sources[@]} files) against android-all $ANDROID_API_JAR_VERSION"
  "$KOTLINC" -jvm-target 17 -nowarn -cp "$api_jar:$JARS$STDLIB" -d "$out/app.tmp.jar" "${app_sources[@]}"
  mv "$out/app.tmp.jar" "$app_jar"
fi

test_jar=$out/klaxon-android-tests.jar
test_sources=("$android"/host-tests/src/*.kt tests/kotlin/Support.kt)
if [ ! -f "$test_jar" ] || [ "$app_jar" -nt "$test_jar" ] || [ -n "$(find "${test_sources[@]}" -newer "$test_jar" 2>/dev/null)" ]; then
  echo "== kotlinc: the Robolectric tests (${#test_sources[@]} files)"
  "$KOTLINC" -jvm-target 17 -nowarn -cp "$app_jar:$api_jar:$ROBO$JARS$STDLIB" -d "$out/tests.tmp.jar" "${test_sources[@]}"
  mv "$out/tests.tmp.jar" "$test_jar"
fi

# --- 4. run -----------------------------------------------------------------
. scripts/relay-test-env.sh android

echo "== Robolectric tests (Android $ANDROID_API_JAR_VERSION, relay on 127.0.0.1:$port)"
# Robolectric runs the shell on the instrumented framework it loads itself,
# offline, from dependency.dir; the plain API jar is on the classpath only
# as AGP's android.jar would be (annotations such as @Config name android
# classes before any sandbox exists).
java -Xmx1g \
  -Djna.library.path="$PWD/target/debug" \
  -Drobolectric.offline=true -Drobolectric.dependency.dir="$tools/android-all" \
  -Drobolectric.logging.enabled=false \
  -Dklaxon.manifest="$android/app/src/main/AndroidManifest.xml" \
  -cp "$test_jar:$app_jar:$ROBO$JARS$STDLIB:$api_jar" org.klaxon.android.tests.MainKt
