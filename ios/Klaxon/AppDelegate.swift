import UIKit
import UserNotifications

/// The UIKit entry points SwiftUI does not cover: the notification delegate
/// and categories (they must be set before launch finishes, or a button
/// tapped on the lock screen that launched the app is lost), background
/// task registration, and the APNs device token.
final class AppDelegate: NSObject, UIApplicationDelegate {
    private let responder = NotificationResponder()

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        let center = UNUserNotificationCenter.current()
        center.delegate = responder
        center.setNotificationCategories(NotificationCategories.all())
        BackgroundSync.register()
        PagerModel.shared.start()
        application.registerForRemoteNotifications()
        return true
    }

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        let token = deviceToken.map { String(format: "%02x", $0) }.joined()
        PagerModel.shared.pushTokenChanged(token)
    }

    /// A push for the app itself, in the foreground or woken in the
    /// background (`UIBackgroundModes` has `remote-notification`; the relay
    /// sets `content-available` on status pushes): a page answered or
    /// resolved elsewhere stops ringing here and its notification goes, and
    /// queued actions are delivered while the network is evidently up. The
    /// completion handler runs once the work is done (iOS allows about 30 s).
    func application(
        _ application: UIApplication,
        didReceiveRemoteNotification userInfo: [AnyHashable: Any],
        fetchCompletionHandler completionHandler: @escaping (UIBackgroundFetchResult) -> Void
    ) {
        Task { @MainActor in
            let result = await PagerModel.shared.receiveRemoteNotification(userInfo: userInfo)
            completionHandler(result)
        }
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        // No token: core's self-check reports the missing push token.
        PagerModel.shared.pushTokenChanged(nil)
    }
}
