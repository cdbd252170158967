import SwiftUI

/// Enrollment until the device has enrolled, then the four tabs.
struct RootView: View {
    @EnvironmentObject private var model: PagerModel

    var body: some View {
        if model.enrollment == nil {
            EnrollmentView()
        } else {
            TabView {
                PagesView()
                    .tabItem { Label("Pages", systemImage: "bell.badge") }
                RosterView()
                    .tabItem { Label("On call", systemImage: "calendar") }
                SettingsView()
                    .tabItem { Label("Settings", systemImage: "gearshape") }
                SelfCheckView()
                    .tabItem { Label("Self-check", systemImage: "checkmark.shield") }
            }
        }
    }
}
