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
        case .decline:
            return try pager.decline(alert: alert)
        case .snooze:
            // How long is the person's choice, on the page screen.
            throw SnoozeNeedsLength()
        }
    }

    /// A snooze queued without its length; the page screen asks for one.
    struct SnoozeNeedsLength: Error {}

    /// The button title.
    static func title(_ action: PageAction) -> String {
        switch action {
        case .acknowledge: return "Acknowledge"
        case .escalate: return "Escalate"
        case .resolve: return "Resolve"
        case .snooze: return "Snooze"
        case .decline: return "Decline"
        }
    }
}
