import Foundation

/// Opens this process's `Pager` on the shared state directory.
///
/// Both processes open the same SQLite store: core keeps one writer per
/// process and SQLite's WAL locking orders the two processes. Every write is
/// a short transaction, but an open WAL connection still holds a lock on
/// the `-shm` file for as long as it is open, and iOS kills a suspended
/// process that holds a lock in a shared container (0xdead10cc). So a
/// `Pager` from here must be released before the process may be suspended:
/// the extension releases it before its content handler runs, the app when
/// it is in the background and no lease is held (`PagerModel.leaseStore`).
enum PagerAccess {
    /// Where the relay URL chosen at enrollment is kept (shared defaults):
    /// the `Pager` constructor needs it, and the extension has no UI to ask.
    static let relayURLKey = "klaxon.relayURL"

    /// The relay URL saved at enrollment; nil before enrolling.
    static var savedRelayURL: String? {
        AppGroup.defaults.string(forKey: relayURLKey)
    }

    /// Remembers the relay URL for both processes.
    static func saveRelayURL(_ url: String) {
        AppGroup.defaults.set(url, forKey: relayURLKey)
    }

    /// Opens the pager for `relayURL` on the shared state directory.
    static func open(relayURL: String) throws -> Pager {
        let directory = try AppGroup.stateDirectory()
        return try Pager(stateDir: directory.path, relayUrl: relayURL)
    }
}
