import SwiftUI
import UIKit

/// The self-check: core's `health()` findings (problems first), then the
/// iOS-only lines, with the buttons that fix the usual causes.
struct SelfCheckView: View {
    @EnvironmentObject private var model: PagerModel

    var body: some View {
        NavigationStack {
            List {
                if let health = model.health {
                    Section {
                        Label(
                            health.ok ? "Pages will ring." : "Some pages will not ring or not arrive.",
                            systemImage: health.ok ? "checkmark.seal" : "exclamationmark.triangle"
                        )
                        .foregroundStyle(health.ok ? Color.green : Color.red)
                        ForEach(health.items, id: \.check) { item in
                            HealthRow(item: item)
                        }
                    }
                    Section("Activity") {
                        LabeledContent("Last push", value: health.lastPushAt.map(Self.when) ?? "never")
                        LabeledContent("Last sync", value: health.lastSyncAt.map(Self.when) ?? "never")
                        LabeledContent("Actions not yet delivered", value: "\(health.pendingActions)")
                        if let age = health.pushTokenAge {
                            LabeledContent("Push token age", value: "\(Int(age / 86_400)) days")
                        }
                    }
                }
                if let platform = model.platform {
                    Section("iPhone") {
                        ForEach(platform.lines) { line in
                            Label(line.text, systemImage: line.good ? "checkmark.circle" : "exclamationmark.circle")
                                .foregroundStyle(line.good ? Color.primary : Color.orange)
                        }
                    }
                }
                Section {
                    Button("Ask for notification permission") {
                        Task {
                            _ = await NotificationPermissions.request()
                            await model.reportCapabilities()
                        }
                    }
                    Button("Open iOS Settings") {
                        if let url = URL(string: UIApplication.openSettingsURLString) {
                            UIApplication.shared.open(url)
                        }
                    }
                    Button("Sync now") { Task { await model.sync() } }
                }
            }
            .navigationTitle("Self-check")
            .refreshable {
                await model.reportCapabilities()
                await model.sync()
            }
        }
    }

    private static func when(_ date: Date) -> String {
        date.formatted(date: .abbreviated, time: .shortened)
    }
}

/// One finding of core's self-check.
struct HealthRow: View {
    let item: HealthItem

    var body: some View {
        switch item.level {
        case .ok:
            Label(item.message, systemImage: "checkmark.circle").foregroundStyle(.green)
        case .warning:
            Label(item.message, systemImage: "exclamationmark.circle").foregroundStyle(.orange)
        case .problem:
            Label(item.message, systemImage: "xmark.octagon").foregroundStyle(.red)
        }
    }
}
