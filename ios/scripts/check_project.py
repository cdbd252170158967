#!/usr/bin/env python3
"""Structural checks of what Xcode reads, without Xcode:

* Klaxon.xcodeproj/project.pbxproj is what gen-xcodeproj.py makes from the
  files on disk (no Swift file missing from a target), parses as an OpenStep
  plist, every object id it references exists, each target compiles the
  right files, the app embeds the extension and both link KlaxonCore;
* the Info.plists and entitlements parse and carry what the code relies on
  (extension point, principal class, App Group, BGTask id, aps-environment;
  Critical Alerts only in the -CriticalAlerts variants);
* Klaxon/Resources/klaxon.caf is what make-alarm-sound.py makes and is a
  valid linear-PCM CAF of 25-29 s (its header parsed here): as long as a
  locked iPhone's single play of a notification sound can ring, under iOS's
  30 s limit.

Prints "ok"/"FAIL" per check; exit 1 on any failure.
"""
import plistlib
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import openstep_plist

IOS = Path(__file__).resolve().parent.parent
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def ids_in(value, found):
    if isinstance(value, dict):
        for v in value.values():
            ids_in(v, found)
    elif isinstance(value, list):
        for v in value:
            ids_in(v, found)
    elif isinstance(value, str) and re.fullmatch(r"[0-9A-F]{24}", value):
        found.add(value)
    return found


def project_checks():
    committed = IOS / "Klaxon.xcodeproj" / "project.pbxproj"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "project.pbxproj"
        subprocess.run([sys.executable, str(IOS / "scripts" / "gen-xcodeproj.py"), str(fresh)],
                       check=True, capture_output=True)
        check("project.pbxproj is up to date with the files (run ios/scripts/gen-xcodeproj.py)",
              fresh.read_text() == committed.read_text())
    project = openstep_plist.load(committed.open())
    objects = project["objects"]
    missing = ids_in(objects, set()) - set(objects)
    check("project.pbxproj parses; every referenced object exists", not missing and project["rootObject"] in objects,
          f"missing: {sorted(missing)[:5]}")
    targets = {o["name"]: o for o in objects.values() if o["isa"] == "PBXNativeTarget"}
    check("two targets: Klaxon (application) and KlaxonNotificationService (app-extension)",
          targets.get("Klaxon", {}).get("productType") == "com.apple.product-type.application"
          and targets.get("KlaxonNotificationService", {}).get("productType")
          == "com.apple.product-type.app-extension")

    def phase_paths(target, isa):
        paths = []
        for phase_id in target["buildPhases"]:
            phase = objects[phase_id]
            if phase["isa"] == isa:
                paths += [objects[objects[f]["fileRef"]]["path"] for f in phase["files"]]
        return set(paths)

    swift = lambda folder: {str(p.relative_to(IOS)) for p in (IOS / folder).rglob("*.swift")}
    expected = {
        "Klaxon": swift("Klaxon") | swift("Shared") | {"KlaxonCore/KlaxonCore.swift"},
        "KlaxonNotificationService": swift("KlaxonNotificationService") | swift("Shared")
        | {"KlaxonCore/KlaxonCore.swift"},
    }
    for name, files in expected.items():
        target = targets.get(name)
        if target is None:
            continue
        check(f"{name} compiles exactly its Swift files", phase_paths(target, "PBXSourcesBuildPhase") == files)
        check(f"{name} links KlaxonCore.xcframework",
              phase_paths(target, "PBXFrameworksBuildPhase") == {"KlaxonCore/KlaxonCore.xcframework"})
    app = targets.get("Klaxon", {})
    embeds = [objects[p] for p in app.get("buildPhases", []) if objects[p]["isa"] == "PBXCopyFilesBuildPhase"]
    check("the app embeds the extension in PlugIns and depends on it",
          any(e.get("dstSubfolderSpec") == "13" and phase_paths(app, "PBXCopyFilesBuildPhase")
              == {"KlaxonNotificationService.appex"} for e in embeds) and len(app.get("dependencies", [])) == 1)
    check("the app bundles klaxon.caf", phase_paths(app, "PBXResourcesBuildPhase") == {"Klaxon/Resources/klaxon.caf"})
    file_paths = [o["path"] for o in objects.values()
                  if o["isa"] == "PBXFileReference" and o.get("sourceTree") == "SOURCE_ROOT"]
    absent = [p for p in file_paths if not p.startswith("KlaxonCore/") and not (IOS / p).exists()]
    check("every file the project names exists (KlaxonCore/ comes from build-core.sh)", not absent, str(absent))
    named = set()
    for config in (o for o in objects.values() if o["isa"] == "XCBuildConfiguration"):
        settings = config["buildSettings"]
        if "INFOPLIST_FILE" in settings:
            named.add(settings["INFOPLIST_FILE"])
        if "CODE_SIGN_ENTITLEMENTS" in settings:
            for variant in ("", "-CriticalAlerts"):
                named.add(settings["CODE_SIGN_ENTITLEMENTS"].replace("$(KLAXON_ENTITLEMENTS_VARIANT)", variant))
    for path in sorted(named):
        check(f"{path} (named in build settings) exists", (IOS / path).exists())


def plist_checks():
    app = plistlib.loads((IOS / "Klaxon/Info.plist").read_bytes())
    ext = plistlib.loads((IOS / "KlaxonNotificationService/Info.plist").read_bytes())
    swift = (IOS / "Klaxon/BackgroundSync.swift").read_text()
    task_id = re.search(r'refreshTaskID = "([^"]+)"', swift).group(1)
    check("Info.plist permits the BGTask id BackgroundSync uses",
          task_id in app.get("BGTaskSchedulerPermittedIdentifiers", []) and "fetch" in app.get("UIBackgroundModes", []))
    delegate = (IOS / "Klaxon/AppDelegate.swift").read_text()
    check("status pushes wake the app: UIBackgroundModes has remote-notification and AppDelegate "
          "implements application(_:didReceiveRemoteNotification:fetchCompletionHandler:)",
          "remote-notification" in app.get("UIBackgroundModes", [])
          and re.search(r"didReceiveRemoteNotification userInfo:[^)]*fetchCompletionHandler", delegate, re.S)
          is not None)
    service = (IOS / "KlaxonNotificationService/NotificationService.swift").read_text()
    check("the extension keeps no Pager across pushes (an open WAL store holds a lock while "
          "suspended: 0xdead10cc) and releases it before the content handler runs",
          re.search(r"static\s+var\s+\w*\s*:\s*Pager", service) is None
          and re.search(r"pager = nil\s*\n(?:.*\n){0,2}?\s*return handler", service) is not None)
    check("both Info.plists carry the App Group setting the code reads",
          app.get("KlaxonAppGroup") == ext.get("KlaxonAppGroup") == "$(KLAXON_APP_GROUP)")
    extension = ext.get("NSExtension", {})
    check("the extension is a notification service with NotificationService as principal class",
          extension.get("NSExtensionPointIdentifier") == "com.apple.usernotifications.service"
          and extension.get("NSExtensionPrincipalClass") == "$(PRODUCT_MODULE_NAME).NotificationService")
    critical = "com.apple.developer.usernotifications.critical-alerts"
    for stem, needs_aps in (("Klaxon/Klaxon", True),
                            ("KlaxonNotificationService/KlaxonNotificationService", False)):
        plain = plistlib.loads((IOS / f"{stem}.entitlements").read_bytes())
        granted = plistlib.loads((IOS / f"{stem}-CriticalAlerts.entitlements").read_bytes())
        check(f"{stem}.entitlements: App Group, no Critical Alerts (signs without Apple's grant)",
              plain.get("com.apple.security.application-groups") == ["$(KLAXON_APP_GROUP)"] and critical not in plain)
        check(f"{stem}-CriticalAlerts.entitlements adds only Critical Alerts",
              granted.get(critical) is True and {k: v for k, v in granted.items() if k != critical} == plain)
        if needs_aps:
            check("the app has push (aps-environment) and time-sensitive entitlements",
                  plain.get("aps-environment") == "$(KLAXON_APS_ENVIRONMENT)"
                  and plain.get("com.apple.developer.usernotifications.time-sensitive") is True)
    xcconfig = (IOS / "Config/Klaxon.xcconfig").read_text()
    check("Klaxon.xcconfig defines every setting the project and plists use",
          all(re.search(rf"^{k} =", xcconfig, re.M) for k in
              ("KLAXON_BUNDLE_ID", "KLAXON_APP_GROUP", "KLAXON_APS_ENVIRONMENT", "KLAXON_ENTITLEMENTS_VARIANT",
               "DEVELOPMENT_TEAM")))


def sound_checks():
    sound = IOS / "Klaxon/Resources/klaxon.caf"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "klaxon.caf"
        subprocess.run([sys.executable, str(IOS / "scripts" / "make-alarm-sound.py"), str(fresh)],
                       check=True, capture_output=True)
        check("klaxon.caf is what make-alarm-sound.py makes", fresh.read_bytes() == sound.read_bytes())
    seconds, problem = caf_seconds(sound.read_bytes())
    check(f"klaxon.caf: linear PCM CAF, {seconds:.2f} s, within {SOUND_MIN}-{SOUND_MAX} s "
          "(long enough to wake someone, under iOS's 30 s notification-sound limit)",
          problem is None and SOUND_MIN <= seconds <= SOUND_MAX, problem)


# The critical sound rings once per push on a locked iPhone: as long as iOS
# allows (a sound of 30 s or more is replaced by the default one), with room
# to spare. ios/README.md, "Ringing beyond 30 seconds".
SOUND_MIN = 25.0
SOUND_MAX = 29.0


def caf_seconds(data: bytes):
    """The length of a linear-PCM Core Audio Format file, from its header:
    the file header ('caff', version 1), then chunks of type (4 bytes) and
    big-endian int64 size; 'desc' gives the sample rate, format id, bytes
    per packet and frames per packet; 'data' holds a 4-byte edit count and
    the samples (size -1: to the end of the file). Returns (seconds, None)
    or (0, what is wrong)."""
    if len(data) < 8 or data[:4] != b"caff" or struct.unpack(">H", data[4:6])[0] != 1:
        return 0.0, "not a CAF file (version 1)"
    at, desc, frames = 8, None, None
    while at + 12 <= len(data):
        kind, size = data[at:at + 4], struct.unpack(">q", data[at + 4:at + 12])[0]
        body_at = at + 12
        if size == -1 and kind == b"data":
            size = len(data) - body_at
        if size < 0 or body_at + size > len(data):
            return 0.0, f"chunk {kind!r} runs past the end of the file"
        if kind == b"desc":
            if size < 32:
                return 0.0, "desc chunk too short"
            desc = struct.unpack(">d4sIIIII", data[body_at:body_at + 32])
        elif kind == b"data":
            if desc is None:
                return 0.0, "data before desc"
            rate, fmt, _flags, bytes_per_packet, frames_per_packet, _ch, _bits = desc
            if fmt != b"lpcm" or bytes_per_packet == 0 or rate <= 0:
                return 0.0, f"format {fmt!r} is not linear PCM with fixed-size packets"
            frames = (size - 4) // bytes_per_packet * frames_per_packet
            return frames / rate, None
        at = body_at + size
    return 0.0, "no data chunk"


def main() -> int:
    project_checks()
    plist_checks()
    sound_checks()
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} project: {name}" + (f" ({detail})" if not ok and detail else ""))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
