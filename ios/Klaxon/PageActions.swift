import Foundation

/// The lock-screen and in-app buttons, mapped onto core's outbox calls.
enum PageActions {
    /// Queues `action` for `alert`; committed to the outbox before this
    /// returns, so the tap survives the app being killed right after.
    static func queue(_ action: PageAction, alert: String, on pager: Pager) throws -> QueuedActionInfo {
        switch action {
        case .acknowledge:
            return try pager.acknowledge(alert: alert)
        case .escalate:
            return try pager.escalate(alert: alert)
        case .resolve:
            return try pager.resolve(alert: alert)
        }
    }

    /// The button title.
    static func title(_ action: PageAction) -> String {
        switch action {
        case .acknowledge: return "Acknowledge"
        case .escalate: return "Escalate"
        case .resolve: return "Resolve"
        }
    }
}
