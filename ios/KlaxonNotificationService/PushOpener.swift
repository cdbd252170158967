import Foundation

/// What core made of one push.
enum PushOutcome {
    /// A new page (or a newer state of one): show it as planned.
    case page(NotificationPlan)
    /// A repeat of a page already shown (`PushResult.duplicate`).
    case repeatedPage(alertID: String?)
    /// The page was too large for APNs; the relay sent only its id
    /// (`PushResult.syncNeeded`) and the device must fetch it with `sync()`.
    case syncNeeded(alertID: String)
    /// Not a page for this device (a foreign push, a bad payload, not
    /// enrolled, storage failure): leave the relay's generic text.
    case unreadable(String)
}

/// Hands a push's `userInfo` to core.
///
/// Only the `klaxon` dictionary is passed on (core accepts the envelope and
/// needs nothing else); it is a few KB, so the whole path stays far below
/// the extension's 24 MB limit (see ios/README.md for the measurement).
struct PushOpener {
    /// This process's pager.
    let pager: Pager

    /// Opens, deduplicates, stores and plans the push; core tells a page,
    /// a repeat and a sync-needed push apart (`Pager.receivePush`).
    func open(userInfo: [AnyHashable: Any]) -> PushOutcome {
        guard let fields = userInfo["klaxon"] as? [String: Any] else {
            return .unreadable("the push has no \"klaxon\" dictionary")
        }
        do {
            let payload = try JSONSerialization.data(withJSONObject: ["klaxon": fields])
            let result = try pager.receivePush(payload: payload)
            switch result {
            case .show(let plan):
                return .page(plan)
            case .duplicate:
                return .repeatedPage(alertID: fields["alert"] as? String)
            case .syncNeeded(let alert):
                return .syncNeeded(alertID: alert)
            }
        } catch let error as ApiError {
            return .unreadable(Self.describe(error))
        } catch {
            return .unreadable(String(describing: error))
        }
    }

    /// Fetches a page that was too large to push and returns its plan, so
    /// the notification shows it like any page (core stores it, and the
    /// app's next sync does not ring it again). Network is allowed here;
    /// the extension's time budget (about 30 s) bounds it. Nil: the sync
    /// failed or did not bring that alert's page (it was already handled,
    /// or acknowledged meanwhile).
    func fetchLargePage(alertID: String) async -> NotificationPlan? {
        do {
            let report = try await pager.sync()
            return report.plans.first { $0.alert == alertID }
        } catch {
            // The generic loud notification still shows; the app syncs on open.
            return nil
        }
    }

    /// Whether actions wait in the outbox for the relay.
    func hasQueuedActions() -> Bool {
        ((try? pager.pendingActions()) ?? []).isEmpty == false
    }

    /// Delivers the outbox with a sync (a push just proved the network is
    /// up), waiting at most `limit` seconds for it; true if the sync
    /// finished in time. A sync still running after `limit` carries on in
    /// the background while the extension lives; the idempotency keys make
    /// a second delivery by the app harmless.
    func deliverQueuedActions(within limit: TimeInterval) async -> Bool {
        let pager = self.pager
        let first = FirstAnswer()
        return await withCheckedContinuation { continuation in
            first.set(continuation)
            Task {
                let synced = (try? await pager.sync()) != nil
                first.answer(synced)
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(limit * 1_000_000_000))
                first.answer(false)
            }
        }
    }

    /// The summary of an alert core already knows (for a repeated push);
    /// nil when the user hides details on the lock screen.
    func knownSummary(alertID: String?) -> String? {
        guard let alertID,
              let settings = try? pager.settings(),
              !settings.hideDetailsOnLockScreen else { return nil }
        return try? pager.alert(id: alertID).summary
    }

    private static func describe(_ error: ApiError) -> String {
        switch error {
        case .NotEnrolled(let detail): return "not enrolled: \(detail)"
        case .InvalidInput(let detail): return "not a page for this device: \(detail)"
        case .Storage(let detail): return "storage: \(detail)"
        case .Network(let detail): return "network: \(detail)"
        case .Relay(let status, let detail): return "relay \(status): \(detail)"
        case .NotFound(let detail): return "not found: \(detail)"
        case .Internal(let detail): return "internal: \(detail)"
        }
    }
}

/// Resumes a continuation with the first answer only (the sync or the
/// time limit, whichever comes first).
final class FirstAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Bool, Never>?
    private var early: Bool?

    func set(_ continuation: CheckedContinuation<Bool, Never>) {
        let answer: Bool? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let answer { continuation.resume(returning: answer) }
    }

    func answer(_ value: Bool) {
        let waiting: CheckedContinuation<Bool, Never>? = lock.withLock {
            guard let continuation else {
                if early == nil { early = value }
                return nil
            }
            self.continuation = nil
            early = value
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
