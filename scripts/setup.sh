#!/usr/bin/env bash
# Installs every tool the tests need, from the project's own pinned lists,
# so a fresh clone (and CI) needs nothing installed by hand. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

# Kotlin binding tests: kotlinc + pinned jars (JNA, coroutines, JUnit).
bash scripts/setup-kotlin.sh
