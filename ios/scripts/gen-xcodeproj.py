#!/usr/bin/env python3
"""Writes ios/Klaxon.xcodeproj/project.pbxproj from the files under ios/.

The project is committed, so an iOS developer opens it directly (no
XcodeGen, no extra tool); this generator exists so the hand-made file stays
consistent: object ids are derived from names (stable across runs), every
Swift file lands in the right target, and check-ios.sh regenerates it and
fails when the committed file differs (a Swift file added without running
this script).

Targets:
  Klaxon                     app: Klaxon/**.swift + Shared/*.swift + KlaxonCore/KlaxonCore.swift,
                             klaxon.caf, links KlaxonCore/KlaxonCore.xcframework,
                             embeds the extension.
  KlaxonNotificationService  extension: KlaxonNotificationService/*.swift + Shared + KlaxonCore.swift,
                             links the same xcframework.
KlaxonCore/KlaxonCore.swift and KlaxonCore/KlaxonCore.xcframework are made by
scripts/build-core.sh (not committed).

Usage: gen-xcodeproj.py [OUTPUT]   (default: Klaxon.xcodeproj/project.pbxproj)
"""
import hashlib
import re
import sys
from pathlib import Path

IOS = Path(__file__).resolve().parent.parent
CORE_SWIFT = "KlaxonCore/KlaxonCore.swift"
CORE_XCFRAMEWORK = "KlaxonCore/KlaxonCore.xcframework"
XCCONFIG = "Config/Klaxon.xcconfig"
APP, EXT = "Klaxon", "KlaxonNotificationService"


def oid(*key: str) -> str:
    return hashlib.md5("/".join(key).encode()).hexdigest()[:24].upper()


def swift_files(folder: str) -> list:
    return sorted(str(p.relative_to(IOS)) for p in (IOS / folder).rglob("*.swift"))


def quote(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(value, indent: int) -> str:
    pad = "\t" * indent
    if isinstance(value, dict):
        inner = "".join(f"{pad}\t{quote(k)} = {render(v, indent + 1)};\n" for k, v in value.items())
        return "{\n" + inner + pad + "}"
    if isinstance(value, list):
        inner = "".join(f"{pad}\t{render(v, indent + 1)},\n" for v in value)
        return "(\n" + inner + pad + ")"
    return quote(str(value))


FILE_TYPES = {
    ".swift": "sourcecode.swift",
    ".plist": "text.plist.xml",
    ".entitlements": "text.plist.entitlements",
    ".xcconfig": "text.xcconfig",
    ".caf": "file",
    ".xcframework": "wrapper.xcframework",
}


def build() -> str:
    objects = {}

    def file_ref(path: str) -> str:
        ident = oid("file", path)
        objects[ident] = {
            "isa": "PBXFileReference",
            "lastKnownFileType": FILE_TYPES[Path(path).suffix],
            "name": Path(path).name,
            "path": path,
            "sourceTree": "SOURCE_ROOT",
        }
        return ident

    def build_file(target: str, phase: str, path: str, ref: str, settings=None) -> str:
        ident = oid("build", target, phase, path)
        entry = {"isa": "PBXBuildFile", "fileRef": ref}
        if settings:
            entry["settings"] = settings
        objects[ident] = entry
        return ident

    shared = swift_files("Shared")
    app_swift = swift_files("Klaxon")
    ext_swift = swift_files("KlaxonNotificationService")
    other = [
        "Klaxon/Info.plist", "Klaxon/Klaxon.entitlements", "Klaxon/Klaxon-CriticalAlerts.entitlements",
        "Klaxon/Resources/klaxon.caf",
        "KlaxonNotificationService/Info.plist",
        "KlaxonNotificationService/KlaxonNotificationService.entitlements",
        "KlaxonNotificationService/KlaxonNotificationService-CriticalAlerts.entitlements",
        XCCONFIG,
    ]
    refs = {p: file_ref(p) for p in shared + app_swift + ext_swift + other + [CORE_SWIFT, CORE_XCFRAMEWORK]}

    products = {
        APP: ("Klaxon.app", "wrapper.application", "com.apple.product-type.application"),
        EXT: ("KlaxonNotificationService.appex", "wrapper.app-extension",
              "com.apple.product-type.app-extension"),
    }
    product_refs = {}
    for target, (name, ftype, _) in products.items():
        ident = oid("product", target)
        objects[ident] = {"isa": "PBXFileReference", "explicitFileType": ftype, "includeInIndex": "0",
                          "path": name, "sourceTree": "BUILT_PRODUCTS_DIR"}
        product_refs[target] = ident

    def group(name: str, children: list) -> str:
        ident = oid("group", name)
        objects[ident] = {"isa": "PBXGroup", "children": children, "name": name, "sourceTree": "<group>"}
        return ident

    screens = [p for p in app_swift if "/Screens/" in p]
    app_top = [p for p in app_swift if p not in screens]
    groups = [
        group("Klaxon", [refs[p] for p in app_top]
              + [group("Screens", [refs[p] for p in screens]),
                 group("Resources", [refs["Klaxon/Resources/klaxon.caf"]])]
              + [refs[p] for p in other if p.startswith("Klaxon/") and not p.endswith(".caf")]),
        group("KlaxonNotificationService", [refs[p] for p in ext_swift]
              + [refs[p] for p in other if p.startswith("KlaxonNotificationService/")]),
        group("Shared", [refs[p] for p in shared]),
        group("KlaxonCore (generated by scripts/build-core.sh)", [refs[CORE_SWIFT], refs[CORE_XCFRAMEWORK]]),
        group("Config", [refs[XCCONFIG]]),
        group("Products", list(product_refs.values())),
    ]
    main_group = oid("group", "main")
    objects[main_group] = {"isa": "PBXGroup", "children": groups, "sourceTree": "<group>"}

    project = oid("project")

    def phase(kind: str, target: str, files: list, **extra) -> str:
        ident = oid("phase", target, kind)
        objects[ident] = {"isa": kind, "buildActionMask": "2147483647", "files": files, **extra,
                          "runOnlyForDeploymentPostprocessing": "0"}
        return ident

    def config_list(owner: str, configs: dict) -> str:
        ids = []
        for name, settings in configs.items():
            ident = oid("config", owner, name)
            entry = {"isa": "XCBuildConfiguration"}
            if owner != "project":
                entry["baseConfigurationReference"] = refs[XCCONFIG]
            entry["buildSettings"] = settings
            entry["name"] = name
            objects[ident] = entry
            ids.append(ident)
        ident = oid("configlist", owner)
        objects[ident] = {"isa": "XCConfigurationList", "buildConfigurations": ids,
                          "defaultConfigurationIsVisible": "0", "defaultConfigurationName": "Release"}
        return ident

    common_target = {
        "CURRENT_PROJECT_VERSION": "1",
        "INFOPLIST_FILE": "",
        "GENERATE_INFOPLIST_FILE": "NO",
        "MARKETING_VERSION": "0.1.0",
        "PRODUCT_NAME": "$(TARGET_NAME)",
        "SWIFT_EMIT_LOC_STRINGS": "YES",
        # The Rust static library's system dependencies (rustls' platform
        # verifier uses Security; SQLite, ring and tokio need only libSystem).
        "OTHER_LDFLAGS": "$(inherited) -framework Security -framework SystemConfiguration",
    }
    target_settings = {
        APP: {**common_target,
              "INFOPLIST_FILE": "Klaxon/Info.plist",
              "CODE_SIGN_ENTITLEMENTS": "Klaxon/Klaxon$(KLAXON_ENTITLEMENTS_VARIANT).entitlements",
              "PRODUCT_BUNDLE_IDENTIFIER": "$(KLAXON_BUNDLE_ID)",
              "LD_RUNPATH_SEARCH_PATHS": "$(inherited) @executable_path/Frameworks",
              "ENABLE_PREVIEWS": "YES"},
        EXT: {**common_target,
              "INFOPLIST_FILE": "KlaxonNotificationService/Info.plist",
              "CODE_SIGN_ENTITLEMENTS":
                  "KlaxonNotificationService/KlaxonNotificationService$(KLAXON_ENTITLEMENTS_VARIANT).entitlements",
              "PRODUCT_BUNDLE_IDENTIFIER": "$(KLAXON_BUNDLE_ID).NotificationService",
              "LD_RUNPATH_SEARCH_PATHS":
                  "$(inherited) @executable_path/Frameworks @executable_path/../../Frameworks",
              "APPLICATION_EXTENSION_API_ONLY": "YES",
              "SKIP_INSTALL": "YES"},
    }

    sources = {APP: app_swift + shared + [CORE_SWIFT], EXT: ext_swift + shared + [CORE_SWIFT]}
    targets = {}
    for target in (EXT, APP):
        ident = oid("target", target)
        targets[target] = ident
        phases = [
            phase("PBXSourcesBuildPhase", target,
                  [build_file(target, "sources", p, refs[p]) for p in sources[target]]),
            phase("PBXFrameworksBuildPhase", target,
                  [build_file(target, "frameworks", CORE_XCFRAMEWORK, refs[CORE_XCFRAMEWORK])]),
            phase("PBXResourcesBuildPhase", target,
                  [build_file(target, "resources", "Klaxon/Resources/klaxon.caf",
                              refs["Klaxon/Resources/klaxon.caf"])] if target == APP else []),
        ]
        dependencies = []
        if target == APP:
            embedded = build_file(APP, "embed", "KlaxonNotificationService.appex", product_refs[EXT],
                                  {"ATTRIBUTES": ["RemoveHeadersOnCopy"]})
            phases.append(phase("PBXCopyFilesBuildPhase", target, [embedded], dstPath="",
                                dstSubfolderSpec="13", name="Embed Foundation Extensions"))
            proxy = oid("proxy", EXT)
            objects[proxy] = {"isa": "PBXContainerItemProxy", "containerPortal": project, "proxyType": "1",
                              "remoteGlobalIDString": targets[EXT], "remoteInfo": EXT}
            dependency = oid("dependency", EXT)
            objects[dependency] = {"isa": "PBXTargetDependency", "target": targets[EXT], "targetProxy": proxy}
            dependencies.append(dependency)
        objects[ident] = {
            "isa": "PBXNativeTarget",
            "buildConfigurationList": config_list(target, {"Debug": target_settings[target],
                                                           "Release": target_settings[target]}),
            "buildPhases": phases,
            "buildRules": [],
            "dependencies": dependencies,
            "name": target,
            "productName": target,
            "productReference": product_refs[target],
            "productType": products[target][2],
        }

    base = {
        "ALWAYS_SEARCH_USER_PATHS": "NO",
        "CLANG_ENABLE_MODULES": "YES",
        "CLANG_ENABLE_OBJC_ARC": "YES",
        "COPY_PHASE_STRIP": "NO",
        "ENABLE_STRICT_OBJC_MSGSEND": "YES",
        "ENABLE_USER_SCRIPT_SANDBOXING": "YES",
        "GCC_C_LANGUAGE_STANDARD": "gnu17",
        "GCC_NO_COMMON_BLOCKS": "YES",
        "IPHONEOS_DEPLOYMENT_TARGET": "16.0",
        "SDKROOT": "iphoneos",
        "SWIFT_VERSION": "5.0",
    }
    debug = {**base, "DEBUG_INFORMATION_FORMAT": "dwarf", "ENABLE_TESTABILITY": "YES",
             "GCC_OPTIMIZATION_LEVEL": "0", "ONLY_ACTIVE_ARCH": "YES",
             "SWIFT_ACTIVE_COMPILATION_CONDITIONS": "DEBUG", "SWIFT_OPTIMIZATION_LEVEL": "-Onone"}
    release = {**base, "DEBUG_INFORMATION_FORMAT": "dwarf-with-dsym", "ENABLE_NS_ASSERTIONS": "NO",
               "SWIFT_COMPILATION_MODE": "wholemodule", "SWIFT_OPTIMIZATION_LEVEL": "-O",
               "VALIDATE_PRODUCT": "YES"}
    objects[project] = {
        "isa": "PBXProject",
        "attributes": {"BuildIndependentTargetsInParallel": "1", "LastSwiftUpdateCheck": "1500",
                       "LastUpgradeCheck": "1500",
                       "TargetAttributes": {targets[t]: {"CreatedOnToolsVersion": "15.0"} for t in (APP, EXT)}},
        "buildConfigurationList": config_list("project", {"Debug": debug, "Release": release}),
        "compatibilityVersion": "Xcode 14.0",
        "developmentRegion": "en",
        "hasScannedForEncodings": "0",
        "knownRegions": ["en", "Base"],
        "mainGroup": main_group,
        "productRefGroup": oid("group", "Products"),
        "projectDirPath": "",
        "projectRoot": "",
        "targets": [targets[APP], targets[EXT]],
    }

    # Objects grouped by isa, sorted by id, the way Xcode writes them.
    lines = ["// !$*UTF8*$!", "{", "\tarchiveVersion = 1;", "\tclasses = {", "\t};",
             "\tobjectVersion = 56;", "\tobjects = {"]
    for isa in sorted({o["isa"] for o in objects.values()}):
        lines.append(f"\n/* Begin {isa} section */")
        for ident in sorted(i for i, o in objects.items() if o["isa"] == isa):
            lines.append(f"\t\t{ident} = {render(objects[ident], 2)};")
        lines.append(f"/* End {isa} section */")
    lines += ["\t};", f"\trootObject = {project};", "}", ""]
    return "\n".join(lines)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else IOS / "Klaxon.xcodeproj" / "project.pbxproj"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build())
    print(f"gen-xcodeproj: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
