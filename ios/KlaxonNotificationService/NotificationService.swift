import UserNotifications

/// The notification service extension: iOS runs it for every Klaxon push
/// (the relay sets `mutable-content: 1`), before anything is shown.
///
/// The push carries only ciphertext and generic text ("Critical page").
/// Here core opens the sealed page with the device key from the shared
/// state directory, drops repeats, stores the page and returns the plan,
/// and the notification is rewritten from it. Budget: about 30 s and 24 MB
/// of memory; core's part takes well under a millisecond and about 5 MB.
///
/// A push also proves the network is up: actions still waiting in the
/// outbox (an acknowledgement tapped while offline) are delivered before
/// the notification is handed over, for at most a few seconds.
///
/// The pager is opened for each push and released before the content
/// handler runs. iOS keeps the extension's process around, suspended,
/// between pushes; a pager kept open across that would hold its SQLite
/// connection — and in WAL mode a file lock on the shared container's
/// `-shm` file — while suspended, and iOS kills a suspended process that
/// holds a lock in a shared container (0xdead10cc).
final class NotificationService: UNNotificationServiceExtension {
    private let lock = NSLock()
    private var contentHandler: ((UNNotificationContent) -> Void)?
    /// What is delivered if time runs out: the push's content, improved as
    /// soon as something better is known.
    private var bestAttempt: UNNotificationContent?
    /// This push's pager; released (closing the store) before delivering.
    private var pager: Pager?

    /// How long a page waits for queued actions to go out before it shows:
    /// the page matters more than an old acknowledgement.
    static let pageDeliveryWait: TimeInterval = 3
    /// How long a status push or a repeat waits for them (nothing rings).
    static let quietDeliveryWait: TimeInterval = 10

    override func didReceive(
        _ request: UNNotificationRequest,
        withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) {
        let pager = Self.openPager()
        lock.withLock {
            self.contentHandler = contentHandler
            self.bestAttempt = request.content
            self.pager = pager
        }
        guard let pager else {
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
            let content = builder.content(for: plan, basedOn: original)
            let wait = plan.ring == nil ? Self.quietDeliveryWait : Self.pageDeliveryWait
            deliverAfterQueuedActions(content, opener: opener, within: wait)
        case .repeatedPage(let alertID):
            let content = RepeatedPageContent.content(
                basedOn: original, alertID: alertID, summary: opener.knownSummary(alertID: alertID)
            )
            deliverAfterQueuedActions(content, opener: opener, within: Self.quietDeliveryWait)
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

    /// Delivers `content` once queued actions had their chance to go out:
    /// at once when the outbox is empty, else after a sync (which delivers
    /// them, the push having shown the network works) or after `limit`
    /// seconds, whichever comes first. `content` is the best attempt
    /// meanwhile, so the extension's own timeout shows it too.
    private func deliverAfterQueuedActions(_ content: UNNotificationContent, opener: PushOpener, within limit: TimeInterval) {
        lock.withLock { bestAttempt = content }
        guard opener.hasQueuedActions() else {
            deliver(content)
            return
        }
        Task {
            _ = await opener.deliverQueuedActions(within: limit)
            self.deliver(content)
        }
    }

    /// Calls the content handler exactly once, whichever of the work and
    /// the timeout comes first, after releasing this push's pager.
    private func deliver(_ content: UNNotificationContent) {
        let handler: ((UNNotificationContent) -> Void)? = lock.withLock {
            let handler = contentHandler
            contentHandler = nil
            // The store closes when the last reference goes (a sync still
            // running holds one until it ends).
            pager = nil
            return handler
        }
        handler?(content)
    }

    private static func openPager() -> Pager? {
        guard let relayURL = PagerAccess.savedRelayURL else { return nil }
        return try? PagerAccess.open(relayURL: relayURL)
    }
}
