import Foundation

/// The App Group that the app and its notification service extension share.
///
/// The extension runs in its own process and can see nothing of the app's
/// sandbox, so everything both need lives in the group's container: the
/// pager's state directory (core's SQLite store, which holds the device key,
/// the alerts, the dedup records and the outbox) and the relay URL.
enum AppGroup {
    /// The group id. It comes from Info.plist (`KlaxonAppGroup`, filled from
    /// the `KLAXON_APP_GROUP` build setting in Config/Klaxon.xcconfig), the
    /// same setting the entitlements use, so code and signing cannot disagree.
    static var identifier: String {
        Bundle.main.object(forInfoDictionaryKey: "KlaxonAppGroup") as? String ?? "group.org.klaxon.app"
    }

    /// Preferences both processes read (the relay URL).
    static var defaults: UserDefaults {
        UserDefaults(suiteName: identifier) ?? .standard
    }

    /// The pager's state directory inside the group container, created on
    /// first use.
    ///
    /// Protection class "until first user authentication": a page arrives
    /// while the phone is locked, and the extension must still read the
    /// device key and write the dedup record then. `.complete` would make
    /// every locked-screen page fail to open.
    static func stateDirectory() throws -> URL {
        guard let container = FileManager.default.containerURL(
            forSecurityApplicationGroupIdentifier: identifier
        ) else {
            throw AppGroupError.containerMissing(identifier)
        }
        let directory = container.appendingPathComponent("klaxon", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication]
        )
        return directory
    }
}

/// Why the shared container could not be used.
enum AppGroupError: Error, CustomStringConvertible {
    /// The App Group is not in this target's entitlements (or not registered
    /// for the signing team).
    case containerMissing(String)

    var description: String {
        switch self {
        case .containerMissing(let group):
            return "App Group \(group) is not available: add it to both targets' entitlements."
        }
    }
}
