import UserNotifications

/// Turns core's `NotificationPlan` into the content iOS shows. The plan
/// decides everything (text, loudness, buttons); this type only translates
/// it into iOS terms, in one place for the extension and the app.
struct NotificationContentBuilder {
    /// The bundled alarm (`Klaxon/Resources/klaxon.caf`, under 30 s as iOS
    /// requires of notification sounds). The relay names it in the APNs
    /// payload too.
    static let alarmSound = UNNotificationSoundName("klaxon.caf")

    /// Whether the user allowed Critical Alerts. Without Apple's entitlement
    /// this is never true and critical pages fall back to time-sensitive.
    let criticalAlertsAllowed: Bool

    /// The content for `plan`, built on the push's own content (keeping its
    /// `userInfo`).
    func content(for plan: NotificationPlan, basedOn original: UNNotificationContent) -> UNMutableNotificationContent {
        let content = (original.mutableCopy() as? UNMutableNotificationContent) ?? UNMutableNotificationContent()
        // lockScreen already honours "hide details on the lock screen".
        content.title = plan.lockScreen.title
        content.body = plan.lockScreen.body
        content.threadIdentifier = plan.alert
        content.targetContentIdentifier = plan.alert
        content.categoryIdentifier = NotificationCategories.identifier(for: plan.actions)
        let level = interruptionLevel(for: plan)
        content.interruptionLevel = level
        content.sound = sound(for: plan, level: level)
        content.relevanceScore = relevance(for: plan.priority)

        var userInfo = original.userInfo
        userInfo[NotificationUserInfo.alert] = plan.alert
        if let ring = plan.ring {
            userInfo[NotificationUserInfo.ringInterval] = ring.interval
            if let limit = ring.maxDuration {
                userInfo[NotificationUserInfo.ringMaxDuration] = limit
            }
        }
        content.userInfo = userInfo
        return content
    }

    /// Critical only when core says to override Do-Not-Disturb (the user's
    /// setting) and iOS allows it; otherwise the loudest level iOS grants
    /// without the entitlement; passive for a silent plan.
    func interruptionLevel(for plan: NotificationPlan) -> UNNotificationInterruptionLevel {
        // A plan with nothing to ring (acknowledged, resolved, escalated to
        // others: a status-update push, docs/push.md) replaces the ringing
        // notification quietly, without lighting the screen or breaking Focus.
        if plan.sound == .silent && plan.ring == nil && !plan.fullScreen {
            return .passive
        }
        switch plan.priority {
        case .critical:
            return plan.overrideDnd && criticalAlertsAllowed ? .critical : .timeSensitive
        case .high:
            return .timeSensitive
        case .low:
            return .passive
        }
    }

    private func sound(for plan: NotificationPlan, level: UNNotificationInterruptionLevel) -> UNNotificationSound? {
        switch plan.sound {
        case .alarm:
            if level == .critical {
                return .criticalSoundNamed(Self.alarmSound, withAudioVolume: 1.0)
            }
            return UNNotificationSound(named: Self.alarmSound)
        case .default:
            return level == .critical ? .defaultCriticalSound(withAudioVolume: 1.0) : .default
        case .silent:
            return nil
        }
    }

    private func relevance(for priority: Priority) -> Double {
        switch priority {
        case .critical: return 1.0
        case .high: return 0.7
        case .low: return 0.2
        }
    }
}
