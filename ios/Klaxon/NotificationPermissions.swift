import UIKit
import UserNotifications

/// Asks iOS for notification permission and reads back what it allows.
///
/// `.criticalAlert` is requested with the rest, but iOS only honours it when
/// the app is signed with Apple's Critical Alerts entitlement
/// (`com.apple.developer.usernotifications.critical-alerts`); without it
/// the setting reads `.notSupported` and critical pages are time-sensitive.
/// Time-sensitive delivery is not an authorization option at all: it is a
/// capability (the `com.apple.developer.usernotifications.time-sensitive`
/// entitlement) that the user can switch off per app in Settings.
enum NotificationPermissions {
    /// Shows the system prompt (once; later calls return the earlier answer).
    static func request() async -> Bool {
        let options: UNAuthorizationOptions = [.alert, .sound, .badge, .criticalAlert]
        return (try? await UNUserNotificationCenter.current().requestAuthorization(options: options)) ?? false
    }

    /// What iOS allows now.
    static func snapshot() async -> PermissionSnapshot {
        let settings = await UNUserNotificationCenter.current().notificationSettings()
        let backgroundRefresh = await MainActor.run { UIApplication.shared.backgroundRefreshStatus }
        return PermissionSnapshot(
            notificationsAllowed: isAllowed(settings.authorizationStatus),
            criticalAlerts: settings.criticalAlertSetting,
            timeSensitive: settings.timeSensitiveSetting,
            sound: settings.soundSetting,
            alerts: settings.alertSetting,
            lockScreen: settings.lockScreenSetting,
            backgroundRefreshAvailable: backgroundRefresh == .available,
            lowPowerMode: ProcessInfo.processInfo.isLowPowerModeEnabled
        )
    }

    private static func isAllowed(_ status: UNAuthorizationStatus) -> Bool {
        switch status {
        case .authorized, .provisional, .ephemeral: return true
        case .denied, .notDetermined: return false
        @unknown default: return false
        }
    }
}

/// iOS's permissions at one moment, and their translation into core's
/// `Capabilities`.
struct PermissionSnapshot {
    let notificationsAllowed: Bool
    let criticalAlerts: UNNotificationSetting
    let timeSensitive: UNNotificationSetting
    /// Sounds allowed for the app's notifications.
    let sound: UNNotificationSetting
    /// Banners / alerts allowed.
    let alerts: UNNotificationSetting
    /// Shown on the lock screen.
    let lockScreen: UNNotificationSetting
    let backgroundRefreshAvailable: Bool
    let lowPowerMode: Bool

    /// The report for core. iOS has no "full screen over the lock screen"
    /// for pagers, so that is reported as not allowed (core's self-check then
    /// says critical pages show as notifications only, which is true here).
    /// iOS's nearest thing to Android's battery-optimisation exemption is
    /// Background App Refresh with Low Power Mode off; refresh turned off
    /// (or restricted) is the background restriction.
    ///
    /// iOS has no notification channels: one set of switches covers the
    /// app. They are reported as the channels core's plans name, read back
    /// from what iOS holds now: the critical channel is blocked when
    /// notifications are off, sounds when the sound switch or Critical
    /// Alerts are on (a critical alert plays even with sounds off), and
    /// overrides Do-Not-Disturb exactly when Critical Alerts are enabled.
    /// `pushTokenState` is what APNs registration last answered.
    func capabilities(pushToken: PushToken?, pushTokenState: PushTokenState) -> Capabilities {
        Capabilities(
            notificationsAllowed: notificationsAllowed,
            dndAccess: criticalAlerts == .enabled,
            fullScreenAllowed: false,
            batteryOptimisationExempt: backgroundRefreshAvailable && !lowPowerMode,
            pushPlatform: pushToken == nil ? .none : .apns,
            pushToken: pushToken?.value,
            pushTokenIssuedAt: pushToken?.issuedAt,
            channels: [
                channel("klaxon.critical", sounds: sound == .enabled || criticalAlerts == .enabled),
                channel("klaxon.high", sounds: sound == .enabled),
            ],
            backgroundRestricted: !backgroundRefreshAvailable,
            pushTokenState: pushToken == nil ? pushTokenState : .available
        )
    }

    /// One page "channel" as iOS shows it: blocked without permission,
    /// loud when it shows as a banner or on the lock screen, else only in
    /// Notification Center.
    private func channel(_ id: String, sounds: Bool) -> ChannelState {
        let importance: ChannelImportance
        if !notificationsAllowed {
            importance = .blocked
        } else if alerts == .enabled || lockScreen == .enabled || criticalAlerts == .enabled {
            importance = .high
        } else {
            importance = .default
        }
        return ChannelState(
            channelId: id,
            importance: importance,
            sound: notificationsAllowed && sounds,
            bypassDnd: notificationsAllowed && criticalAlerts == .enabled
        )
    }

    /// The iOS-specific lines for the self-check screen.
    var findings: PlatformFindings {
        PlatformFindings(snapshot: self)
    }
}
