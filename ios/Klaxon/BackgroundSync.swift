import BackgroundTasks
import UIKit

/// Gets queued actions to the relay when the app is not on screen.
///
/// Right after an action: `beginBackgroundTask` keeps the process running
/// (about 30 s) while `sync()` delivers it. If that fails (offline), a
/// `BGAppRefreshTask` retries later; iOS picks the moment, so the next
/// foreground start also syncs.
enum BackgroundSync {
    /// Must match `BGTaskSchedulerPermittedIdentifiers` in Info.plist.
    static let refreshTaskID = "org.klaxon.sync"

    /// Registers the refresh handler; call before launch finishes.
    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: refreshTaskID, using: nil) { task in
            guard let refresh = task as? BGAppRefreshTask else {
                task.setTaskCompleted(success: false)
                return
            }
            handle(refresh)
        }
    }

    /// Asks iOS for a refresh in 15 minutes or later.
    static func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: refreshTaskID)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    /// Delivers the outbox now, inside a background task.
    @MainActor
    static func deliverNow(pager: Pager, then done: @escaping @MainActor () -> Void) {
        let window = BackgroundWindow(name: "klaxon.deliver-actions")
        Task {
            do {
                let report = try await pager.sync()
                if report.pendingActions > 0 {
                    scheduleRefresh()
                }
            } catch {
                scheduleRefresh()
            }
            await MainActor.run {
                done()
                window.end()
            }
        }
    }

    private static func handle(_ task: BGAppRefreshTask) {
        scheduleRefresh()
        let work = Task { @MainActor in
            let model = PagerModel.shared
            // The store is open only for this work (PagerModel.leaseStore).
            guard let pager = model.leaseStore() else {
                task.setTaskCompleted(success: true)
                return
            }
            do {
                _ = try await pager.sync()
                task.setTaskCompleted(success: true)
            } catch {
                task.setTaskCompleted(success: false)
            }
            model.refresh()
            model.releaseStore()
        }
        task.expirationHandler = { work.cancel() }
    }
}

/// One `beginBackgroundTask` window, ended exactly once (by the work or by
/// iOS's expiration handler, whichever comes first).
@MainActor
final class BackgroundWindow {
    private var identifier: UIBackgroundTaskIdentifier = .invalid

    init(name: String) {
        identifier = UIApplication.shared.beginBackgroundTask(withName: name) { [weak self] in
            Task { @MainActor in self?.end() }
        }
    }

    /// Ends the window; later calls do nothing.
    func end() {
        guard identifier != .invalid else { return }
        UIApplication.shared.endBackgroundTask(identifier)
        identifier = .invalid
    }
}
