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
    let backgroundRefreshAvailable: Bool
    let lowPowerMode: Bool

    /// The report for core. iOS has no "full screen over the lock screen"
    /// for pagers, so that is reported as not allowed (core's self-check then
    /// says critical pages show as notifications only, which is true here).
    /// iOS's nearest thing to Android's battery-optimisation exemption is
    /// Background App Refresh with Low Power Mode off.
    func capabilities(pushToken: PushToken?) -> Capabilities {
        Capabilities(
            notificationsAllowed: notificationsAllowed,
            dndAccess: criticalAlerts == .enabled,
            fullScreenAllowed: false,
            batteryOptimisationExempt: backgroundRefreshAvailable && !lowPowerMode,
            pushPlatform: pushToken == nil ? .none : .apns,
            pushToken: pushToken?.value,
            pushTokenIssuedAt: pushToken?.issuedAt,
            // Not read back yet: core treats these as "not reported".
            channels: [],
            backgroundRestricted: nil,
            pushTokenState: nil
        )
    }

    /// The iOS-specific lines for the self-check screen.
    var findings: PlatformFindings {
        PlatformFindings(snapshot: self)
    }
}
