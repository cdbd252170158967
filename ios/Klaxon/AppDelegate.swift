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

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        // No token: core's self-check reports the missing push token.
        PagerModel.shared.pushTokenChanged(nil)
    }
}
