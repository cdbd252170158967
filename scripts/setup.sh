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

# --- relay real-client tests (helper: relay) ---------------------------------
# The real Prometheus Alertmanager and amtool drive `klaxon serve` in
# tests/python/test_relay_alertmanager.py; `openssl` makes the throwaway
# certificates `klaxon serve --tls-cert` serves in
# tests/python/test_relay_pagerduty.py and test_relay_tls.py, where `curl`
# (with nghttp2) checks HTTP/2 is negotiated.
if ! command -v prometheus-alertmanager >/dev/null || ! command -v amtool >/dev/null \
    || ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus-alertmanager openssl curl \
    ca-certificates >/dev/null
fi
# --- end relay real-client tests ---------------------------------------------

# --- terminal pager tests (helper: pager) ------------------------------------
# cli/tests/pager_cli.rs drives the interactive `klaxon pager` screen in a
# real terminal: a tmux pane (capture-pane, send-keys).
if ! command -v tmux >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi
# --- end terminal pager tests ------------------------------------------------
