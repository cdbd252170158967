import UserNotifications

/// iOS-only lines for the self-check, next to core's `health()`: core's
/// findings are worded for every platform; these say what to do on an
/// iPhone (core has no notion of entitlements or Focus settings).
struct PlatformFindings {
    /// One line.
    struct Line: Identifiable {
        let id: String
        let good: Bool
        let text: String
    }

    let lines: [Line]

    init(snapshot: PermissionSnapshot) {
        var lines: [Line] = []
        switch snapshot.criticalAlerts {
        case .enabled:
            lines.append(Line(id: "critical", good: true,
                              text: "Critical Alerts are on: critical pages ring through silent mode and Focus."))
        case .disabled:
            lines.append(Line(id: "critical", good: false,
                              text: "Critical Alerts are off in Settings > Notifications > Klaxon: critical pages stay silent in silent mode and Focus."))
        default:
            lines.append(Line(id: "critical", good: false,
                              text: "This build has no Critical Alerts entitlement from Apple: critical pages are delivered as time-sensitive and do not ring through silent mode. Klaxon still works; the relay re-pushes each escalation step."))
        }
        switch snapshot.timeSensitive {
        case .enabled:
            lines.append(Line(id: "time_sensitive", good: true,
                              text: "Time-sensitive notifications are on: pages break through Focus summaries."))
        case .disabled:
            lines.append(Line(id: "time_sensitive", good: false,
                              text: "Time-sensitive notifications are off for Klaxon: pages may wait in a Focus summary."))
        default:
            lines.append(Line(id: "time_sensitive", good: false,
                              text: "Time-sensitive notifications are not available to this build (missing capability)."))
        }
        if !snapshot.backgroundRefreshAvailable || snapshot.lowPowerMode {
            lines.append(Line(id: "background", good: false,
                              text: "Background App Refresh is off or Low Power Mode is on: actions tapped on the lock screen may wait until you open Klaxon."))
        }
        self.lines = lines
    }
}
