import SwiftUI
import UIKit

/// The app's state over core: the one `Pager` of the process and what the
/// screens show from it. Every value comes from a core call; this type only
/// decides when to call (start, foreground, after an action, on pull-to-refresh).
///
/// The store is closed before iOS suspends the app. Core's SQLite database
/// lives in the App Group container and runs in WAL mode, and an open WAL
/// connection holds a file lock on the `-shm` file for as long as it is
/// open; iOS kills a suspended process that holds a lock on a file in a
/// shared container (termination code 0xdead10cc). So in the background
/// the `Pager` is open only while work holds a lease (`leaseStore`: an
/// action's delivery, a remote notification, a background refresh) and is
/// released — closing the connection — when the last lease ends; the
/// foreground reopens it.
@MainActor
final class PagerModel: ObservableObject {
    /// The process's model (the notification delegate and background tasks
    /// run without a view and need it too).
    static let shared = PagerModel()

    @Published private(set) var pager: Pager?
    @Published private(set) var enrollment: Enrollment?
    @Published private(set) var alerts: [Alert] = []
    @Published private(set) var health: Health?
    @Published private(set) var settings: NotificationSettings?
    @Published private(set) var platform: PlatformFindings?
    @Published private(set) var lastError: String?
    /// The alert a tapped notification asked to open.
    @Published var openedAlertID: String?

    /// The foreground ring loop.
    let alarm = AlarmPlayer()
    private lazy var sink = AppNotificationSink(alarm: alarm)
    private var pushToken: PushToken? = PushToken.saved()
    /// What APNs registration last answered: `.waiting` until it does,
    /// `.failed` when it refused (no token: pages cannot be pushed).
    private var pushTokenState: PushTokenState = .waiting
    private var listener: Task<Void, Never>?
    private var openedRelayURL: String?
    /// Background work using the store right now (see `leaseStore`).
    private var leases = 0
    /// The scene is in the background: close the store when idle.
    private var inBackground = false

    /// Opens the pager when the device has enrolled before.
    func start() {
        guard pager == nil, let relayURL = PagerAccess.savedRelayURL else { return }
        _ = open(relayURL: relayURL)
        Task { await reportCapabilities() }
    }

    /// The pager for work that may run in the background (a notification
    /// action, a remote notification, a background refresh), opening the
    /// store if needed; nil before enrollment. Every lease taken must be
    /// ended with `releaseStore()`: when the last one ends while the app is
    /// in the background, the store closes before iOS suspends the app.
    func leaseStore() -> Pager? {
        start()
        guard let pager else { return nil }
        leases += 1
        return pager
    }

    /// Ends one lease; closes the store if that was the last one and the
    /// app is in the background.
    func releaseStore() {
        leases = max(0, leases - 1)
        closeIfIdle()
    }

    /// Releases this process's `Pager` (closing the SQLite connection once
    /// the last reference goes) when nothing needs it and iOS may suspend
    /// the app any moment.
    private func closeIfIdle() {
        // Launched in the background for a push or a refresh, the scene
        // never went through .background: ask UIKit too.
        let background = inBackground || UIApplication.shared.applicationState == .background
        guard background, leases == 0, listener == nil, let pager else { return }
        pager.clearNotificationSink()
        self.pager = nil
        openedRelayURL = nil
    }

    /// A remote notification reached the app itself (the `remote-notification`
    /// background mode; the relay sets `content-available` on status pushes):
    /// above all, a page was acknowledged, escalated past this person or
    /// resolved elsewhere. Core takes the push (a status update stops this
    /// process's ring and updates or removes the notification through the
    /// sink); the push also proves the network is up, so queued actions go
    /// out and the latest state comes in with a sync. Then any notification
    /// of an alert that no longer pages this person is removed — also when
    /// the extension had already taken the push (core answers `.duplicate`).
    func receiveRemoteNotification(userInfo: [AnyHashable: Any]) async -> UIBackgroundFetchResult {
        let fields = userInfo["klaxon"] as? [String: Any]
        let alertID = fields?["alert"] as? String
        guard let pager = leaseStore() else { return .noData }
        defer { releaseStore() }
        if let fields, let payload = try? JSONSerialization.data(withJSONObject: ["klaxon": fields]) {
            _ = try? pager.receivePush(payload: payload)
        }
        let outcome: UIBackgroundFetchResult
        do {
            let report = try await pager.sync()
            outcome = report.alertsChanged > 0 || !report.delivered.isEmpty ? .newData : .noData
        } catch {
            outcome = .failed
        }
        if let alertID, let alert = try? pager.alert(id: alertID), alert.status != .triggered {
            alarm.stop(alert: alertID)
            sink.removeNotifications(alert: alertID)
        }
        refresh()
        return outcome
    }

    /// Enrolls with the relay at `relayURL` using the one-time code.
    func enroll(relayURL: String, code: String, deviceName: String) async -> Bool {
        guard let pager = open(relayURL: relayURL) else { return false }
        do {
            enrollment = try await pager.enroll(code: code, deviceName: deviceName)
            PagerAccess.saveRelayURL(relayURL)
            lastError = nil
        } catch {
            lastError = Self.words(error)
            return false
        }
        _ = await NotificationPermissions.request()
        await reportCapabilities()
        await sync()
        return true
    }

    /// Pulls from the relay and delivers queued actions, then refreshes.
    func sync() async {
        guard let pager else { return }
        do {
            _ = try await pager.sync()
            lastError = nil
        } catch {
            lastError = Self.words(error)
        }
        refresh()
    }

    /// Re-reads alerts, settings and the self-check from core.
    func refresh() {
        guard let pager else { return }
        enrollment = pager.enrollment()
        do {
            alerts = try pager.alerts()
            settings = try pager.settings()
            health = try pager.health()
        } catch {
            lastError = Self.words(error)
        }
    }

    /// One alert with its timeline and runbook.
    func alert(id: String) -> Alert? {
        try? pager?.alert(id: id)
    }

    /// The actions core offers this person on `alert` now, in its order
    /// (none for an alert this phone does not know).
    func offeredActions(alert: String) -> [OfferedAction] {
        (try? pager?.offeredActions(alert: alert)) ?? []
    }

    /// Queues `action` in core's outbox (durable before this returns), then
    /// delivers it in a background task so it goes out even if the app is
    /// suspended right after a lock-screen tap.
    @discardableResult
    func perform(_ action: PageAction, alert: String) -> Bool {
        guard let pager else { return false }
        do {
            _ = try PageActions.queue(action, alert: alert, on: pager)
        } catch {
            lastError = Self.words(error)
            return false
        }
        deliverInBackground(pager)
        refresh()
        return true
    }

    /// Delivers the outbox in a background task, holding a lease on the
    /// store until it is done.
    private func deliverInBackground(_ pager: Pager) {
        leases += 1
        BackgroundSync.deliverNow(pager: pager) { [weak self] in
            self?.refresh()
            self?.releaseStore()
        }
    }

    /// "I can't take this" and "later", from the page screen.
    func decline(alert: String) {
        guard let pager else { return }
        run { _ = try pager.decline(alert: alert) }
        deliverInBackground(pager)
    }

    /// Acknowledges until `until`, when the alert pages again.
    func snooze(alert: String, until: Date) {
        guard let pager else { return }
        run { _ = try pager.snooze(alert: alert, until: until) }
        deliverInBackground(pager)
    }

    /// "I'll cover": puts this person on call in `schedule` for `[from, to)`
    /// with core's `takeShift` (the relay's live override; core syncs after,
    /// so the roster shows it). Nil when taken; otherwise why not, in words:
    /// the relay's refusal (a time in the past, over 90 days, a schedule
    /// outside the person's teams) names the field.
    func cover(schedule: String, from: Date, to: Date) async -> String? {
        guard let pager else { return Self.words(ApiError.NotEnrolled(detail: "cover")) }
        do {
            _ = try await pager.takeShift(schedule: schedule, from: from, to: to)
        } catch {
            return Self.words(error)
        }
        refresh()
        return nil
    }

    /// Saves the user's three notification choices.
    func save(_ newSettings: NotificationSettings) {
        guard let pager else { return }
        run { try pager.setSettings(settings: newSettings) }
        refresh()
    }

    /// A new APNs token, or none (registration failed).
    func pushTokenChanged(_ token: String?) {
        pushToken = token.map { PushToken.record($0) }
        pushTokenState = token == nil ? .failed : .available
        Task {
            await reportCapabilities()
            await sync()
        }
    }

    /// Tells core what iOS allows now; called at start, after the
    /// permission prompt and whenever the app returns to the foreground
    /// (the user may have changed Settings meanwhile).
    func reportCapabilities() async {
        let snapshot = await NotificationPermissions.snapshot()
        platform = snapshot.findings
        guard let pager else { return }
        let capabilities = snapshot.capabilities(pushToken: pushToken, pushTokenState: pushTokenState)
        run { try pager.reportCapabilities(capabilities: capabilities) }
        refresh()
    }

    /// Foreground: reopen the store, listen on the relay's stream (pages
    /// ring through the sink) and re-check permissions. Background: stop
    /// listening and the in-app ring loop (iOS would suspend it anyway), and
    /// close the store once no background work needs it (0xdead10cc).
    func sceneChanged(to phase: ScenePhase) {
        switch phase {
        case .active:
            inBackground = false
            start()
            Task {
                await reportCapabilities()
                await sync()
            }
            startListening()
        case .background:
            inBackground = true
            listener?.cancel()
            listener = nil
            // The in-app ring ends here without an answer: core then lets
            // the relay's next re-notification ring the page again.
            if let ringing = alarm.ringingAlert, let pager {
                try? pager.ringStopped(alert: ringing)
            }
            alarm.stopAll()
            BackgroundSync.scheduleRefresh()
            closeIfIdle()
        default:
            break
        }
    }

    private func startListening() {
        guard listener == nil, let pager, enrollment != nil else { return }
        listener = Task { [weak self] in
            while !Task.isCancelled {
                do {
                    let report = try await pager.listen(maxDuration: 300, maxPages: 50)
                    if report.changed {
                        await self?.sync()
                    } else {
                        self?.refresh()
                    }
                } catch {
                    // Offline or the relay restarted: wait, then listen again.
                    try? await Task.sleep(nanoseconds: 15_000_000_000)
                }
            }
        }
    }

    private func open(relayURL: String) -> Pager? {
        if let pager, openedRelayURL == relayURL {
            return pager
        }
        do {
            let opened = try PagerAccess.open(relayURL: relayURL)
            opened.setNotificationSink(sink: sink)
            pager = opened
            openedRelayURL = relayURL
            refresh()
            return opened
        } catch {
            lastError = Self.words(error)
            return nil
        }
    }

    private func run(_ call: () throws -> Void) {
        do {
            try call()
        } catch {
            lastError = Self.words(error)
        }
    }

    /// A failure in words for the screen.
    static func words(_ error: Error) -> String {
        guard let apiError = error as? ApiError else { return error.localizedDescription }
        switch apiError {
        case .NotEnrolled: return "This phone is not enrolled yet."
        case .Network(let detail): return "The relay cannot be reached (\(detail)). Actions stay queued."
        case .Relay(let status, let detail): return "The relay refused (HTTP \(status)): \(detail)"
        case .InvalidInput(let detail): return detail
        case .NotFound(let detail): return "Not found: \(detail)"
        case .Storage(let detail): return "Storage problem: \(detail)"
        case .Internal(let detail): return "Internal error: \(detail)"
        }
    }
}
