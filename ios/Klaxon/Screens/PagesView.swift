import SwiftUI

/// The open pages (triggered and acknowledged alerts), newest first, as
/// core lists them.
struct PagesView: View {
    @EnvironmentObject private var model: PagerModel
    @State private var path: [String] = []

    private var openAlerts: [Alert] {
        model.alerts.filter { $0.status != .resolved }
    }

    var body: some View {
        NavigationStack(path: $path) {
            List {
                if let error = model.lastError {
                    Text(error).font(.footnote).foregroundStyle(.secondary)
                }
                if openAlerts.isEmpty {
                    Text("No open pages.").foregroundStyle(.secondary)
                }
                ForEach(openAlerts, id: \.id) { alert in
                    NavigationLink(value: alert.id) {
                        AlertRow(alert: alert)
                    }
                }
            }
            .navigationTitle("Pages")
            .navigationDestination(for: String.self) { id in
                PageDetailView(alertID: id)
            }
            .refreshable { await model.sync() }
            .onChange(of: model.openedAlertID) { id in
                if let id {
                    path = [id]
                    model.openedAlertID = nil
                }
            }
        }
    }
}

/// One line of the page list.
struct AlertRow: View {
    let alert: Alert

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                PriorityBadge(priority: alert.priority)
                Text(alert.serviceName).font(.caption).foregroundStyle(.secondary)
                Spacer()
                Text(StatusText.of(alert.status)).font(.caption)
            }
            Text(alert.summary).font(.body)
            if let next = alert.nextEscalation {
                Text(next).font(.caption).foregroundStyle(.orange)
            }
            if !alert.pendingActions.isEmpty {
                Text("Not yet delivered: \(alert.pendingActions.map(\.action).joined(separator: ", "))")
                    .font(.caption2).foregroundStyle(.secondary)
            }
        }
    }
}

/// The priority as a coloured word.
struct PriorityBadge: View {
    let priority: Priority

    var body: some View {
        switch priority {
        case .critical: Text("CRITICAL").font(.caption.bold()).foregroundStyle(.red)
        case .high: Text("HIGH").font(.caption.bold()).foregroundStyle(.orange)
        case .low: Text("LOW").font(.caption.bold()).foregroundStyle(.secondary)
        }
    }
}

/// Words for an alert's status.
enum StatusText {
    static func of(_ status: AlertStatus) -> String {
        switch status {
        case .triggered: return "Open"
        case .acknowledged: return "Acknowledged"
        case .resolved: return "Resolved"
        }
    }
}
