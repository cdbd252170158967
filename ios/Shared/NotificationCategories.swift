import UserNotifications

/// The notification categories: one for every set of buttons a plan can
/// offer, because iOS attaches buttons through a category registered in
/// advance, while core decides per page which buttons it offers
/// (`NotificationPlan.actions`, each with whether it needs unlocking).
enum NotificationCategories {
    /// Every button a page can offer, in display order, with core's unlock
    /// rule (`allPageActions()`; the rule does not depend on the page).
    static let catalogue: [OfferedAction] = allPageActions()

    /// Display order of the buttons.
    static let canonicalOrder: [PageAction] = catalogue.map { $0.action }

    /// The category for a plan's actions (order-insensitive).
    static func identifier(for actions: [OfferedAction]) -> String {
        let offered = actions.map { $0.action }
        let names = canonicalOrder.filter { offered.contains($0) }.map(name)
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
                identifier: identifier(for: catalogue.filter { actions.contains($0.action) }),
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
    /// Whether it asks for the passcode is core's rule (`needsUnlock`):
    /// Acknowledge and Escalate carry no `.authenticationRequired` and no
    /// `.foreground`, so a responder woken at 3 a.m. answers from the lock
    /// screen and the app handles it in the background. Snooze opens the
    /// app (`.foreground`), where the person picks how long.
    static func notificationAction(_ action: PageAction) -> UNNotificationAction {
        var options: UNNotificationActionOptions = []
        if catalogue.first(where: { $0.action == action })?.needsUnlock ?? true {
            options.insert(.authenticationRequired)
        }
        if action == .snooze {
            options.insert(.foreground)
        }
        return UNNotificationAction(identifier: identifier(of: action), title: title(action), options: options)
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

    /// The button's title.
    private static func title(_ action: PageAction) -> String {
        switch action {
        case .acknowledge: return "Acknowledge"
        case .escalate: return "Escalate"
        case .resolve: return "Resolve"
        case .snooze: return "Snooze"
        case .decline: return "Decline"
        }
    }

    private static func name(_ action: PageAction) -> String {
        switch action {
        case .acknowledge: return "acknowledge"
        case .escalate: return "escalate"
        case .resolve: return "resolve"
        case .snooze: return "snooze"
        case .decline: return "decline"
        }
    }
}
