import AVFoundation

/// The in-app ring loop, for pages that arrive while Klaxon is on screen.
///
/// iOS plays a notification sound once and for at most 30 s, and an app
/// may not loop audio in the background for notifications. In the
/// foreground it may: the `.playback` audio session plays through the
/// silent switch, and the loop repeats every `RingLoop.interval` until core
/// says stop (acknowledged, escalated, resolved elsewhere) or the ring's
/// limit passes.
@MainActor
final class AlarmPlayer {
    private var player: AVAudioPlayer?
    private var timer: Timer?
    private var deadline: Date?
    /// The alert ringing now, if any.
    private(set) var ringingAlert: String?

    /// Starts ringing for `alert` (replacing any other ring).
    func start(alert: String, ring: RingLoop) {
        guard ringingAlert != alert else { return }
        stopAll()
        guard let url = Bundle.main.url(forResource: "klaxon", withExtension: "caf"),
              let player = try? AVAudioPlayer(contentsOf: url) else { return }
        let session = AVAudioSession.sharedInstance()
        try? session.setCategory(.playback, mode: .default, options: [])
        try? session.setActive(true)
        player.volume = 1.0
        player.play()
        self.player = player
        ringingAlert = alert
        deadline = ring.maxDuration.map { Date(timeIntervalSinceNow: $0) }
        timer = Timer.scheduledTimer(withTimeInterval: max(ring.interval, 1), repeats: true) { [weak self] _ in
            Task { @MainActor in self?.replay() }
        }
    }

    /// Stops the ring for `alert` (a no-op for another alert).
    func stop(alert: String) {
        if ringingAlert == alert {
            stopAll()
        }
    }

    /// Stops whatever rings.
    func stopAll() {
        timer?.invalidate()
        timer = nil
        player?.stop()
        player = nil
        deadline = nil
        if ringingAlert != nil {
            try? AVAudioSession.sharedInstance().setActive(false, options: .notifyOthersOnDeactivation)
        }
        ringingAlert = nil
    }

    private func replay() {
        if let deadline, Date() >= deadline {
            stopAll()
            return
        }
        player?.currentTime = 0
        player?.play()
    }
}
