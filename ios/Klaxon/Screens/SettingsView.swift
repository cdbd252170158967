import SwiftUI

/// The three separate notification choices core keeps: override silent
/// mode / Focus, keep ringing until acknowledged (else a limit), and hide
/// details on the lock screen. Core applies them to every later plan.
struct SettingsView: View {
    @EnvironmentObject private var model: PagerModel

    var body: some View {
        NavigationStack {
            Form {
                if let settings = model.settings {
                    Section {
                        Toggle("Critical pages override silent mode and Focus", isOn: binding(settings, \NotificationSettings.allowOverrideDnd))
                    } footer: {
                        Text("Needs Critical Alerts (see Self-check). Off: critical pages are time-sensitive.")
                    }
                    Section {
                        Toggle("Keep ringing until acknowledged", isOn: binding(settings, \NotificationSettings.keepRingingUntilAcknowledged))
                        if !settings.keepRingingUntilAcknowledged {
                            Stepper(
                                "Ring for \(Int(settings.ringLimit / 60)) min",
                                value: binding(settings, \NotificationSettings.ringLimit),
                                in: 60...3600,
                                step: 60
                            )
                        }
                    } footer: {
                        Text("iOS plays a notification sound for at most 30 s; the relay pages again at each escalation step, and Klaxon rings in a loop while it is open.")
                    }
                    Section {
                        Toggle("Hide details on the lock screen", isOn: binding(settings, \NotificationSettings.hideDetailsOnLockScreen))
                    }
                } else {
                    Text("Settings load after enrollment.").foregroundStyle(.secondary)
                }
            }
            .navigationTitle("Settings")
        }
    }

    /// A binding that saves the whole settings record through core on change.
    private func binding<Value>(
        _ settings: NotificationSettings,
        _ field: WritableKeyPath<NotificationSettings, Value>
    ) -> Binding<Value> {
        Binding(
            get: { settings[keyPath: field] },
            set: { value in
                var changed = settings
                changed[keyPath: field] = value
                model.save(changed)
            }
        )
    }
}
