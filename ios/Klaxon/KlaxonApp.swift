import SwiftUI

/// The app: one window of SwiftUI screens over one shared `PagerModel`.
@main
struct KlaxonApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate
    @Environment(\.scenePhase) private var scenePhase
    @StateObject private var model = PagerModel.shared

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(model)
        }
        .onChange(of: scenePhase) { phase in
            model.sceneChanged(to: phase)
        }
    }
}
