import Foundation

/// What core made of one push.
enum PushOutcome {
    /// A new page (or a newer state of one): show it as planned.
    case page(NotificationPlan)
    /// A repeat of a page already shown (`handlePush` returned nil).
    case repeatedPage(alertID: String?)
    /// The page was too large for APNs; the relay sent only its id and the
    /// device must fetch it with `sync()`.
    case syncNeeded(alertID: String?)
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

    /// Opens, deduplicates, stores and plans the push.
    func open(userInfo: [AnyHashable: Any]) -> PushOutcome {
        guard let fields = userInfo["klaxon"] as? [String: Any] else {
            return .unreadable("the push has no \"klaxon\" dictionary")
        }
        let alertID = fields["alert"] as? String
        if fields["sealed"] == nil, fields["sync"] != nil {
            return .syncNeeded(alertID: alertID)
        }
        do {
            let payload = try JSONSerialization.data(withJSONObject: ["klaxon": fields])
            guard let plan = try pager.handlePush(payload: payload) else {
                return .repeatedPage(alertID: alertID)
            }
            return .page(plan)
        } catch let error as ApiError {
            return .unreadable(Self.describe(error))
        } catch {
            return .unreadable(String(describing: error))
        }
    }

    /// Fetches a page that was too large to push, so the app lists it with
    /// its actions. Network is allowed here; the extension's time budget
    /// (about 30 s) bounds it.
    func fetchLargePage() async {
        do {
            _ = try await pager.sync()
        } catch {
            // The generic loud notification still shows; the app syncs on open.
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
