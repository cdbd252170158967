import SwiftUI
import UIKit

/// Enrollment: the relay's URL and the one-time code from `klaxon invite`.
struct EnrollmentView: View {
    @EnvironmentObject private var model: PagerModel
    @State private var relayURL = PagerAccess.savedRelayURL ?? "https://"
    @State private var code = ""
    @State private var enrolling = false

    var body: some View {
        NavigationStack {
            Form {
                Section("Relay") {
                    TextField("https://relay.example.com", text: $relayURL)
                        .keyboardType(.URL)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                }
                Section {
                    TextField("One-time code", text: $code)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                } header: {
                    Text("Enrollment code")
                } footer: {
                    Text("An admin prints it with `klaxon invite --person <you>`. It works once.")
                }
                if let error = model.lastError {
                    Section { Text(error).foregroundStyle(.red) }
                }
                Section {
                    Button(enrolling ? "Enrolling…" : "Enroll this iPhone") {
                        enrolling = true
                        Task {
                            _ = await model.enroll(
                                relayURL: relayURL.trimmingCharacters(in: .whitespaces),
                                code: code.trimmingCharacters(in: .whitespaces),
                                deviceName: UIDevice.current.name
                            )
                            enrolling = false
                        }
                    }
                    .disabled(enrolling || code.isEmpty || URL(string: relayURL)?.host == nil)
                }
            }
            .navigationTitle("Klaxon")
        }
    }
}
