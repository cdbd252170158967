import SwiftUI

/// One page: what is wrong, the runbook, links, the buttons, and the
/// timeline of everything that happened to it.
struct PageDetailView: View {
    @EnvironmentObject private var model: PagerModel
    let alertID: String

    var body: some View {
        // Re-read on every model change (an action, a sync, a push).
        if let alert = model.alert(id: alertID) {
            List {
                Section {
                    PriorityBadge(priority: alert.priority)
                    Text(alert.summary).font(.headline)
                    LabeledContent("Service", value: alert.serviceName)
                    LabeledContent("Status", value: StatusText.of(alert.status))
                    if let who = alert.acknowledgedBy {
                        LabeledContent("Acknowledged by", value: who)
                    }
                    if let next = alert.nextEscalation {
                        Text(next).foregroundStyle(.orange)
                    }
                    if let description = alert.description {
                        Text(description).font(.callout)
                    }
                }
                ActionButtons(alert: alert)
                if let runbook = alert.runbook {
                    Section("Runbook") {
                        if let url = URL(string: runbook), url.scheme?.hasPrefix("http") == true {
                            SwiftUI.Link(runbook, destination: url)
                        } else {
                            Text(runbook).font(.callout).textSelection(.enabled)
                        }
                    }
                }
                if !alert.links.isEmpty {
                    Section("Links") {
                        ForEach(alert.links, id: \.href) { link in
                            if let url = URL(string: link.href) {
                                SwiftUI.Link(link.text ?? link.href, destination: url)
                            }
                        }
                    }
                }
                if !alert.pendingActions.isEmpty {
                    Section("Waiting for the relay") {
                        ForEach(alert.pendingActions, id: \.key) { pending in
                            PendingActionRow(pending: pending)
                        }
                    }
                }
                Section("Timeline") {
                    if alert.timeline.isEmpty {
                        Text("The timeline arrives with the next sync.").foregroundStyle(.secondary)
                    }
                    ForEach(alert.timeline, id: \.seq) { entry in
                        TimelineRow(entry: entry)
                    }
                }
            }
            .navigationTitle(alert.serviceName)
            .refreshable { await model.sync() }
        } else {
            Text("This page is no longer on this phone.").foregroundStyle(.secondary)
        }
    }
}

/// The buttons for an open page: exactly the actions core offers this
/// person on it now (`Pager.offeredActions`, the rule the lock screen, the
/// Android app and the terminal pager share: decline only while the
/// current step paged you, nothing on a resolved page, no second
/// acknowledgement), in core's order. The app is unlocked, so
/// `needsUnlock` matters only on the lock screen.
struct ActionButtons: View {
    @EnvironmentObject private var model: PagerModel
    let alert: Alert

    var body: some View {
        let offered = model.offeredActions(alert: alert.id)
        if !offered.isEmpty {
            Section("Respond") {
                ForEach(offered, id: \.action) { offer in
                    button(for: offer.action)
                }
            }
        }
    }

    @ViewBuilder
    private func button(for action: PageAction) -> some View {
        switch action {
        case .acknowledge:
            Button("Acknowledge") { model.perform(.acknowledge, alert: alert.id) }
        case .escalate:
            Button("Escalate to the next person") { model.perform(.escalate, alert: alert.id) }
        case .decline:
            Button("I can't take this (decline)") { model.decline(alert: alert.id) }
        case .snooze:
            Button("Snooze 1 hour") {
                model.snooze(alert: alert.id, until: Date(timeIntervalSinceNow: 3600))
            }
        case .resolve:
            Button("Resolve", role: .destructive) { model.perform(.resolve, alert: alert.id) }
        }
    }
}

/// One timeline entry: what, who, when.
struct TimelineRow: View {
    let entry: TimelineEntry

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(TimelineText.describe(entry))
            (Text(entry.at, style: .relative) + Text(" ago · \(entry.who) (\(entry.source))"))
                .font(.caption)
                .foregroundColor(.secondary)
        }
    }
}

/// One of this device's actions that the relay has not confirmed.
struct PendingActionRow: View {
    let pending: QueuedActionInfo

    var body: some View {
        VStack(alignment: .leading) {
            Text("\(pending.action) — \(pending.status), \(pending.attempts) attempts")
            if let reason = pending.reason {
                Text(reason).font(.caption).foregroundStyle(.secondary)
            }
        }
    }
}

/// Words for a timeline entry.
enum TimelineText {
    static func describe(_ entry: TimelineEntry) -> String {
        switch entry.kind {
        case .triggered: return "Opened: \(entry.summary ?? "")"
        case .deduplicated: return "Triggered again: \(entry.summary ?? "")"
        case .notified: return "Paged \(entry.people.joined(separator: ", "))"
        case .acknowledged: return "Acknowledged"
        case .escalated: return "Escalated"
        case .declined: return "Declined"
        case .snoozed:
            if let until = entry.until {
                return "Snoozed until \(until.formatted(date: .omitted, time: .shortened))"
            }
            return "Snoozed"
        case .snoozeExpired: return "Snooze ended"
        case .resolved: return "Resolved"
        case .policyExhausted: return "Nobody acknowledged: the escalation policy ran out"
        case .suppressed:
            if let until = entry.until {
                return "Maintenance: nobody paged until \(until.formatted(date: .omitted, time: .shortened))"
            }
            return "Maintenance: nobody paged"
        }
    }
}
