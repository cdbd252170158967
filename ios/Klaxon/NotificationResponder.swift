import UserNotifications

/// The notification delegate: buttons tapped on the lock screen, and pages
/// arriving while the app is open.
final class NotificationResponder: NSObject, UNUserNotificationCenterDelegate {
    /// A button or a tap. Acknowledge and Escalate arrive here with the
    /// phone still locked (the app is launched in the background): the
    /// action is queued in core's outbox before the completion handler
    /// runs, then delivered inside a background task.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping () -> Void
    ) {
        let content = response.notification.request.content
        let alertID = NotificationUserInfo.alertID(in: content.userInfo)
            ?? (content.threadIdentifier.isEmpty ? nil : content.threadIdentifier)
        let actionID = response.actionIdentifier
        Task { @MainActor in
            let model = PagerModel.shared
            model.start()
            if let alertID {
                if let action = NotificationCategories.pageAction(forIdentifier: actionID) {
                    // Snooze opened the app: the page screen asks how long.
                    if action == .snooze {
                        model.openedAlertID = alertID
                    } else {
                        model.perform(action, alert: alertID)
                    }
                } else if actionID == UNNotificationDefaultActionIdentifier {
                    model.openedAlertID = alertID
                }
            }
            completionHandler()
        }
    }

    /// A notification while the app is in the foreground. A repeat is
    /// hidden entirely (the one place iOS lets the app drop it); a ringing
    /// page starts the in-app alarm loop, which, unlike a notification
    /// sound, keeps going past 30 s until the page is acknowledged.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
    ) {
        let userInfo = notification.request.content.userInfo
        if userInfo[NotificationUserInfo.repeatedPage] as? Bool == true {
            completionHandler([])
            return
        }
        let alertID = NotificationUserInfo.alertID(in: userInfo)
        let ring = NotificationUserInfo.ringLoop(in: userInfo)
        Task { @MainActor in
            let model = PagerModel.shared
            if let alertID, let ring {
                model.alarm.start(alert: alertID, ring: ring)
            }
            model.refresh()
            // The alarm loop plays the sound; the banner stays.
            completionHandler(ring == nil ? [.banner, .list, .sound] : [.banner, .list])
        }
    }
}
