#!/usr/bin/env python3
"""Proves check_bindings.py catches a broken FFI surface: each case edits a
copy of the freshly generated KlaxonCore.swift the way a Rust-side change
would (a renamed method, field, enum case or type, changed argument labels,
a changed NotificationSink requirement) and expects the check to fail and
name the broken use. The unedited file must pass.

Usage: selftest_bindings.py GENERATED_KlaxonCore.swift SWIFT_FILE...
Prints one "ok"/"FAIL" line per case and exits 1 if any case misbehaves.
"""
import re
import sys
import tempfile
from pathlib import Path

from check_bindings import check

# (name, pattern, replacement, text expected in a failure line)
MUTATIONS = [
    ("renamed method Pager.receivePush",
     r"\bfunc receivePush\(", "func receivePushPayload(", "Pager.receivePush(payload:)"),
    ("renamed enum case PushResult.syncNeeded",
     r"(public enum PushResult[^}]*?)\bcase syncNeeded\b", r"\1case fetchNeeded", "PushResult.syncNeeded"),
    ("renamed field NotificationPlan.lockScreen",
     r"public var lockScreen: LockScreenText", "public var lockScreenText: LockScreenText",
     "NotificationPlan.lockScreen"),
    ("renamed enum case TimelineEventKind.policyExhausted",
     r"\bcase policyExhausted\b", "case exhausted", "TimelineEventKind.policyExhausted"),
    ("renamed enum case Priority.critical",
     r"(public enum Priority[^}]*?)\bcase critical\b", r"\1case urgent", "Priority.critical"),
    ("renamed type HealthItem",
     r"public struct HealthItem\b", "public struct HealthFinding", "type HealthItem"),
    ("changed labels of Pager.snooze",
     r"func snooze\(alert: String, until: Date\)", "func snooze(alert: String, at: Date)",
     "Pager.snooze(alert:until:)"),
    ("changed NotificationSink.stopRinging requirement",
     r"(public protocol NotificationSink[^}]*?)func stopRinging\(alert: String\)",
     r"\1func stopRinging(alertId: String)", "NotificationSink.stopRinging"),
    ("renamed record field Capabilities.notificationsAllowed (its initialiser changes too)",
     r"public struct Capabilities\b.*?(?=\nextension Capabilities)",
     lambda m: m.group(0).replace("notificationsAllowed", "notificationsEnabled"),
     "Capabilities(notificationsAllowed:"),
]


def main(argv) -> int:
    generated, shell = Path(argv[0]), argv[1:]
    source = generated.read_text()
    results = []
    failures, uses = check(generated, shell)
    results.append(("unchanged bindings pass", not failures and len(uses) > 100,
                    f"{len(failures)} failures, {len(uses)} uses"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, pattern, replacement, expected in MUTATIONS:
            mutated, count = re.subn(pattern, replacement, source, flags=re.S)
            if count == 0:
                results.append((name, False, "the mutation did not apply (generator output changed?)"))
                continue
            copy = Path(tmp) / "KlaxonCore.swift"
            copy.write_text(mutated)
            failures, _ = check(copy, shell)
            caught = any(expected in line for line in failures)
            results.append((name, caught, failures[0] if failures else "no failure reported"))
    bad = 0
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} selftest: {name} -> {detail}")
        bad += 0 if ok else 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
