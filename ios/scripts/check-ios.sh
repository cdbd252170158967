#!/usr/bin/env bash
# The iOS shell's checks on a machine without Swift or Xcode (CI). Installs
# what it needs into the repo's .venv (idempotent), regenerates the Swift
# bindings from a fresh host build, then:
#   1. every Swift file under ios/ parses with tree-sitter-swift: zero ERROR/MISSING nodes
#   2. every binding type, method, field, initialiser and enum case the Swift
#      code uses exists in the freshly generated KlaxonCore.swift
#   3. a self-test: renamed methods/fields/cases/types in a copy of that file
#      make check 2 fail
#   4. the Xcode project, Info.plists, entitlements and alarm sound are consistent
#   5. the build scripts pass shellcheck, and build-core.sh names what is missing here
#   6. the notification-extension path (open Pager + handle_push of a sealed
#      APNs payload) peaks under the extension's 24 MB on the host
# Ends with "N passed, N failed" on its own line; exits 1 on any failure.
set -uo pipefail
ios="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ios/.." && pwd)"
cd "$repo" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# Counts the ok/FAIL lines a Python checker prints.
tally() {
  local out="$1"
  echo "$out"
  passed=$((passed + $(grep -c '^ok ' <<<"$out")))
  failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
}

# --- tools ------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if .venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt; then
  pass "python tools installed (tests/python/requirements.txt)"
else
  fail "pip install -r tests/python/requirements.txt"
  echo "$passed passed, $failed failed"
  exit 1
fi
py=.venv/bin/python

# --- fresh bindings -------------------------------------------------------------------
generated=target/bindings/swift/KlaxonCore.swift
if bash scripts/gen-bindings.sh >/tmp/check-ios-gen.$$ 2>&1 && [ -s "$generated" ]; then
  pass "Swift bindings generated from a fresh host build (scripts/gen-bindings.sh)"
else
  tail -20 /tmp/check-ios-gen.$$
  fail "scripts/gen-bindings.sh"
fi
rm -f /tmp/check-ios-gen.$$

mapfile -t swift_files < <(find ios -name '*.swift' -not -path 'ios/KlaxonCore/*' -not -path 'ios/tools/*' | sort)

# --- 1. syntax --------------------------------------------------------------------------
tally "$("$py" - "${swift_files[@]}" <<'PY'
import sys
sys.path.insert(0, "ios/scripts")
from swift_syntax import errors, parse
for path in sys.argv[1:]:
    bad = errors(parse(open(path, "rb").read()).root_node)
    where = ", ".join(f"{n.type} at {n.start_point.row + 1}:{n.start_point.column + 1}" for n in bad[:3])
    print(("ok  " if not bad else "FAIL") + f" parse: {path}" + (f" ({where})" if bad else ""))
PY
)"
if [ -s "$generated" ]; then
  tally "$("$py" - "$generated" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "ios/scripts")
from swift_syntax import errors, parse_generated, text, top_level
# UniFFI's private helpers use a few constructs the grammar misreads; what
# matters is that the public API the bindings check reads parses cleanly.
bad = [n for n in errors(parse_generated(Path(sys.argv[1])).root_node)
       if not text(top_level(n).child_by_field_name("name")).startswith(("FfiConverter", "Uniffi"))]
where = ", ".join(f"line {n.start_point.row + 1}" for n in bad[:3])
print(("ok  " if not bad else "FAIL") + f" parse: {sys.argv[1]} (generated; its public API parses cleanly)"
      + (f" ({where})" if bad else ""))
PY
)"

  # --- 2. bindings used by the shell exist -------------------------------------------
  if out="$(cd ios/scripts && ../../.venv/bin/python check_bindings.py "$repo/$generated" "${swift_files[@]/#/$repo/}")"; then
    pass "bindings: ${out##*$'\n'}"
  else
    echo "$out"
    fail "bindings: the iOS shell uses something the generated KlaxonCore.swift lacks"
  fi

  # --- 3. the bindings check catches a changed FFI surface --------------------------------
  tally "$(cd ios/scripts && ../../.venv/bin/python selftest_bindings.py "$repo/$generated" "${swift_files[@]/#/$repo/}")"
fi

# --- 4. project, plists, sound ------------------------------------------------------------
tally "$("$py" ios/scripts/check_project.py)"

# --- 5. scripts -------------------------------------------------------------------------------
if .venv/bin/shellcheck ios/scripts/*.sh; then
  pass "shellcheck ios/scripts/*.sh"
else
  fail "shellcheck ios/scripts/*.sh"
fi
if [ "$(uname -s)" != Darwin ]; then
  msg="$(bash ios/scripts/build-core.sh 2>&1)"; rc=$?
  if [ "$rc" -ne 0 ] && grep -q "macOS" <<<"$msg"; then
    pass "build-core.sh refuses to run off macOS and says what is missing"
  else
    echo "$msg"
    fail "build-core.sh off macOS: expected a non-zero exit naming macOS"
  fi
fi

# --- 6. memory of the extension's path ----------------------------------------------------------
if rss="$(bash ios/scripts/measure-push-rss.sh 2000 2>&1)"; then
  printf '     %s\n' "$rss"
  kib="$(sed -n 's/^VmHWM after handle_push: \([0-9]*\) KiB$/\1/p' <<<"$rss")"
  # 24 MB is the extension's whole budget; iOS's own frameworks take part of
  # it, so core's share must stay well below: 12 MiB.
  if [ -n "$kib" ] && [ "$kib" -lt 12288 ]; then
    pass "extension path peak RSS ${kib} KiB < 12288 KiB (half the 24 MB extension limit)"
  else
    fail "extension path peak RSS ${kib:-unknown} KiB (limit 12288 KiB)"
  fi
else
  echo "$rss"
  fail "ios/scripts/measure-push-rss.sh"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
