import UserNotifications

/// Core's `NotificationSink` in the app process: pages that reach the app
/// itself (the relay's stream, a sync, an action) are shown, changed,
/// removed and rung here as core says. Pushes are shown by the extension.
///
/// Core calls on its own threads; notification calls are thread-safe and
/// the alarm is moved to the main actor.
final class AppNotificationSink: NotificationSink, @unchecked Sendable {
    private let alarm: AlarmPlayer
    private let center = UNUserNotificationCenter.current()

    init(alarm: AlarmPlayer) {
        self.alarm = alarm
    }

    func presentNotification(plan: NotificationPlan) throws {
        post(plan)
    }

    func updateNotification(plan: NotificationPlan) throws {
        post(plan)
    }

    func cancelNotification(alert: String) throws {
        removeNotifications(alert: alert)
    }

    /// Removes every notification of `alert`, pushed or local: the page was
    /// answered (here or elsewhere) or resolved.
    func removeNotifications(alert: String) {
        center.removePendingNotificationRequests(withIdentifiers: [alert])
        removeDelivered(alert: alert, keeping: nil)
    }

    func startRinging(alert: String, ring: RingLoop) throws {
        Task { @MainActor in alarm.start(alert: alert, ring: ring) }
    }

    func stopRinging(alert: String) throws {
        Task { @MainActor in alarm.stop(alert: alert) }
    }

    /// Shows the plan as a local notification whose identifier is the alert
    /// id (so an update replaces it), removing the pushed one for the same
    /// alert, whose identifier APNs chose.
    private func post(_ plan: NotificationPlan) {
        center.getNotificationSettings { settings in
            let builder = NotificationContentBuilder(
                criticalAlertsAllowed: settings.criticalAlertSetting == .enabled
            )
            let content = builder.content(for: plan, basedOn: UNMutableNotificationContent())
            let request = UNNotificationRequest(identifier: plan.alert, content: content, trigger: nil)
            self.removeDelivered(alert: plan.alert, keeping: plan.alert)
            self.center.add(request)
        }
    }

    private func removeDelivered(alert: String, keeping kept: String?) {
        center.getDeliveredNotifications { delivered in
            let identifiers = delivered
                .filter { NotificationUserInfo.alertID(in: $0.request.content.userInfo) == alert
                    || $0.request.content.threadIdentifier == alert }
                .map(\.request.identifier)
                .filter { $0 != kept }
            self.center.removeDeliveredNotifications(withIdentifiers: identifiers)
        }
    }
}
