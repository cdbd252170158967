import UserNotifications

/// What the extension delivers for a push that core says repeats a page
/// already shown (APNs can deliver twice; the relay re-pushes a step).
///
/// iOS does not let an extension drop a notification unless Apple grants
/// the filtering entitlement (`com.apple.developer.usernotifications.filtering`);
/// with it, delivering empty content shows nothing. Without it, the repeat
/// is made silent and passive and carries the relay's collapse id, so it
/// replaces the earlier notification instead of adding a second one, and
/// the app (in the foreground) hides it altogether.
enum RepeatedPageContent {
    /// Set `KlaxonNotificationFiltering` to YES in the extension's Info.plist
    /// once Apple has granted the filtering entitlement.
    static var filteringAllowed: Bool {
        Bundle.main.object(forInfoDictionaryKey: "KlaxonNotificationFiltering") as? Bool ?? false
    }

    /// The content for a repeat.
    static func content(basedOn original: UNNotificationContent, alertID: String?, summary: String?) -> UNNotificationContent {
        if filteringAllowed {
            return UNNotificationContent()
        }
        let content = grouped(original, alertID: alertID)
        content.sound = nil
        content.interruptionLevel = .passive
        if let summary {
            content.body = summary
        }
        var userInfo = content.userInfo
        userInfo[NotificationUserInfo.repeatedPage] = true
        content.userInfo = userInfo
        return content
    }

    /// The push's content, grouped under its alert.
    static func grouped(_ original: UNNotificationContent, alertID: String?) -> UNMutableNotificationContent {
        let content = (original.mutableCopy() as? UNMutableNotificationContent) ?? UNMutableNotificationContent()
        if let alertID {
            content.threadIdentifier = alertID
            var userInfo = content.userInfo
            userInfo[NotificationUserInfo.alert] = alertID
            content.userInfo = userInfo
        }
        return content
    }
}
