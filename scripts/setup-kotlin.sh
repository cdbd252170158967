#!/usr/bin/env bash
# Installs what the host-JVM Kotlin binding tests need, pinned, idempotent:
# kotlinc from npm (kotlin-compiler) into .tools/kotlin, and the jars from
# Maven Central into .tools/jars, each checked against the .sha1 Maven
# publishes next to it. Needs java (17+), npm and curl. Called by setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

KOTLIN_VERSION=2.4.20
MAVEN=https://repo1.maven.org/maven2
# group/artifact/version, one a line.
JARS=(
  net.java.dev.jna:jna:5.19.1
  org.jetbrains.kotlinx:kotlinx-coroutines-core-jvm:1.11.0
  junit:junit:4.13.2
  org.hamcrest:hamcrest-core:1.3
)

for tool in java npm curl sha1sum; do
  command -v "$tool" >/dev/null || { echo "setup-kotlin: $tool is required but not installed" >&2; exit 1; }
done

KOTLINC=.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc
installed=$(node -p "require('./.tools/kotlin/node_modules/kotlin-compiler/package.json').version" 2>/dev/null || true)
if [ ! -x "$KOTLINC" ] || [ "$installed" != "$KOTLIN_VERSION" ]; then
  echo "setup-kotlin: installing kotlin-compiler@$KOTLIN_VERSION"
  mkdir -p .tools/kotlin
  npm install --silent --no-audit --no-fund --prefix .tools/kotlin "kotlin-compiler@$KOTLIN_VERSION"
fi

mkdir -p .tools/jars
for coord in "${JARS[@]}"; do
  IFS=: read -r group artifact version <<<"$coord"
  file="$artifact-$version.jar"
  dest=.tools/jars/$file
  url="$MAVEN/${group//.//}/$artifact/$version/$file"
  if [ -f "$dest" ] && [ -f "$dest.sha1" ] && \
     [ "$(sha1sum "$dest" | cut -d' ' -f1)" = "$(cut -c1-40 "$dest.sha1")" ]; then
    continue
  fi
  echo "setup-kotlin: downloading $file"
  curl -fsSL --retry 3 -o "$dest.tmp" "$url"
  curl -fsSL --retry 3 -o "$dest.sha1" "$url.sha1"
  want=$(tr -d ' \n\r' <"$dest.sha1" | cut -c1-40)
  got=$(sha1sum "$dest.tmp" | cut -d' ' -f1)
  if [ "$want" != "$got" ]; then
    rm -f "$dest.tmp" "$dest.sha1"
    echo "setup-kotlin: SHA-1 mismatch for $file (want $want, got $got)" >&2
    exit 1
  fi
  mv "$dest.tmp" "$dest"
done
echo "setup-kotlin: kotlinc $KOTLIN_VERSION and ${#JARS[@]} jars ready"
