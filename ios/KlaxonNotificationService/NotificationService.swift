import UserNotifications

/// The notification service extension: iOS runs it for every Klaxon push
/// (the relay sets `mutable-content: 1`), before anything is shown.
///
/// The push carries only ciphertext and generic text ("Critical page").
/// Here core opens the sealed page with the device key from the shared
/// state directory, drops repeats, stores the page and returns the plan,
/// and the notification is rewritten from it. Budget: about 30 s and 24 MB
/// of memory; core's part takes well under a millisecond and about 5 MB.
final class NotificationService: UNNotificationServiceExtension {
    private let lock = NSLock()
    private var contentHandler: ((UNNotificationContent) -> Void)?
    /// What is delivered if time runs out: the push's content, improved as
    /// soon as something better is known.
    private var bestAttempt: UNNotificationContent?

    /// iOS may reuse this process for several pushes; the pager (and its
    /// parsed device key) is opened once.
    private static var sharedPager: Pager?

    override func didReceive(
        _ request: UNNotificationRequest,
        withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) {
        lock.withLock {
            self.contentHandler = contentHandler
            self.bestAttempt = request.content
        }
        guard let pager = Self.pager() else {
            deliver(request.content)
            return
        }
        let opener = PushOpener(pager: pager)
        UNUserNotificationCenter.current().getNotificationSettings { settings in
            let builder = NotificationContentBuilder(
                criticalAlertsAllowed: settings.criticalAlertSetting == .enabled
            )
            self.handle(request, opener: opener, builder: builder)
        }
    }

    /// Time is up: deliver the best content prepared so far (at worst the
    /// relay's generic, correctly loud text).
    override func serviceExtensionTimeWillExpire() {
        let content = lock.withLock { bestAttempt }
        if let content {
            deliver(content)
        }
    }

    private func handle(_ request: UNNotificationRequest, opener: PushOpener, builder: NotificationContentBuilder) {
        let original = request.content
        switch opener.open(userInfo: original.userInfo) {
        case .page(let plan):
            deliver(builder.content(for: plan, basedOn: original))
        case .repeatedPage(let alertID):
            deliver(RepeatedPageContent.content(
                basedOn: original, alertID: alertID, summary: opener.knownSummary(alertID: alertID)
            ))
        case .syncNeeded(let alertID):
            // Until the page arrives, the relay's generic, correctly loud text.
            let grouped = RepeatedPageContent.grouped(original, alertID: alertID)
            lock.withLock { bestAttempt = grouped }
            Task {
                if let plan = await opener.fetchLargePage(alertID: alertID) {
                    self.deliver(builder.content(for: plan, basedOn: original))
                } else {
                    self.deliver(grouped)
                }
            }
        case .unreadable:
            deliver(original)
        }
    }

    /// Calls the content handler exactly once, whichever of the work and
    /// the timeout comes first.
    private func deliver(_ content: UNNotificationContent) {
        let handler: ((UNNotificationContent) -> Void)? = lock.withLock {
            let handler = contentHandler
            contentHandler = nil
            return handler
        }
        handler?(content)
    }

    private static func pager() -> Pager? {
        if let pager = sharedPager { return pager }
        guard let relayURL = PagerAccess.savedRelayURL,
              let pager = try? PagerAccess.open(relayURL: relayURL) else {
            return nil
        }
        sharedPager = pager
        return pager
    }
}
