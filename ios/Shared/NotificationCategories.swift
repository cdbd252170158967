import UserNotifications

/// The notification categories: one for every set of buttons a plan can
/// offer, because iOS attaches buttons through a category registered in
/// advance, while core decides per page which buttons it offers
/// (`NotificationPlan.actions`; after an acknowledgement only Resolve stays).
enum NotificationCategories {
    /// Display order of the buttons.
    static let canonicalOrder: [PageAction] = [.acknowledge, .escalate, .resolve]

    /// The category for a plan's actions (order-insensitive).
    static func identifier(for actions: [PageAction]) -> String {
        let names = canonicalOrder.filter { actions.contains($0) }.map(name)
        return "klaxon.page." + (names.isEmpty ? "none" : names.joined(separator: "-"))
    }

    /// Every category, registered once at app start
    /// (`UNUserNotificationCenter.setNotificationCategories`).
    static func all() -> Set<UNNotificationCategory> {
        var categories = Set<UNNotificationCategory>()
        for mask in 0..<(1 << canonicalOrder.count) {
            let actions = canonicalOrder.enumerated()
                .filter { mask & (1 << $0.offset) != 0 }
                .map { $0.element }
            categories.insert(UNNotificationCategory(
                identifier: identifier(for: actions),
                actions: actions.map(notificationAction),
                intentIdentifiers: [],
                hiddenPreviewsBodyPlaceholder: "Page",
                options: [.hiddenPreviewsShowTitle]
            ))
        }
        return categories
    }

    /// The button for one action.
    ///
    /// Acknowledge and Escalate carry no `.authenticationRequired` and no
    /// `.foreground`: a responder woken at 3 a.m. answers from the lock
    /// screen without unlocking, and the app handles it in the background.
    /// Resolve closes the alert for everyone, so it asks for the passcode.
    static func notificationAction(_ action: PageAction) -> UNNotificationAction {
        switch action {
        case .acknowledge:
            return UNNotificationAction(identifier: identifier(of: action), title: "Acknowledge", options: [])
        case .escalate:
            return UNNotificationAction(identifier: identifier(of: action), title: "Escalate", options: [])
        case .resolve:
            return UNNotificationAction(
                identifier: identifier(of: action), title: "Resolve", options: [.authenticationRequired]
            )
        }
    }

    /// The `UNNotificationAction` identifier of an action.
    static func identifier(of action: PageAction) -> String {
        "klaxon.action." + name(action)
    }

    /// The action a tapped button stands for; nil for the system's own
    /// (open, dismiss).
    static func pageAction(forIdentifier identifier: String) -> PageAction? {
        canonicalOrder.first { self.identifier(of: $0) == identifier }
    }

    private static func name(_ action: PageAction) -> String {
        switch action {
        case .acknowledge: return "acknowledge"
        case .escalate: return "escalate"
        case .resolve: return "resolve"
        }
    }
}
