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

/// One finding of core's self-check, with the button that fixes it when
/// core names a fix (`HealthItem.fix`).
struct HealthRow: View {
    @EnvironmentObject private var model: PagerModel
    let item: HealthItem

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            finding
            if let fix = item.fix, let title = Self.title(for: fix) {
                Button(title) { Self.apply(fix, model: model) }
                    .buttonStyle(.bordered)
            }
        }
    }

    @ViewBuilder private var finding: some View {
        switch item.level {
        case .ok:
            Label(item.message, systemImage: "checkmark.circle").foregroundStyle(.green)
        case .warning:
            Label(item.message, systemImage: "exclamationmark.circle").foregroundStyle(.orange)
        case .problem:
            Label(item.message, systemImage: "xmark.octagon").foregroundStyle(.red)
        }
    }

    /// The button's title; `nil` for a finding iOS offers nothing for
    /// (enrolling is the Enrollment screen; "full screen" does not exist).
    static func title(for fix: HealthFix) -> String? {
        switch fix {
        case .notificationSettings, .channelSettings, .dndAccess:
            return "Open notification settings"
        case .batteryOptimisation, .backgroundRestriction:
            return "Open Settings (Background App Refresh)"
        case .pushRegistration:
            return "Register for push again"
        case .sync:
            return "Sync now"
        case .enroll, .fullScreenPermission:
            return nil
        }
    }

    /// Does what the fix says. iOS has no per-channel or Do-Not-Disturb
    /// screens an app can open: each goes to Klaxon's notification
    /// settings (Critical Alerts, sounds, banners live there); background
    /// refresh to Klaxon's page in Settings.
    @MainActor
    static func apply(_ fix: HealthFix, model: PagerModel) {
        switch fix {
        case .notificationSettings, .channelSettings, .dndAccess:
            open(UIApplication.openNotificationSettingsURLString)
        case .batteryOptimisation, .backgroundRestriction:
            open(UIApplication.openSettingsURLString)
        case .pushRegistration:
            UIApplication.shared.registerForRemoteNotifications()
        case .sync:
            Task { await model.sync() }
        case .enroll, .fullScreenPermission:
            break
        }
    }

    @MainActor
    private static func open(_ address: String) {
        if let url = URL(string: address) {
            UIApplication.shared.open(url)
        }
    }
}
