import Foundation

/// Keys the shell adds to a notification's `userInfo`, so the app can act
/// on a notification the extension prepared (the two never share memory).
enum NotificationUserInfo {
    /// The alert id (String).
    static let alert = "klaxonAlert"
    /// The ring loop interval in seconds (Double), when the plan rings.
    static let ringInterval = "klaxonRingInterval"
    /// The ring loop's limit in seconds (Double); absent: until acknowledged.
    static let ringMaxDuration = "klaxonRingMaxDuration"
    /// True when core said the push repeated a page already shown.
    static let repeatedPage = "klaxonRepeat"

    /// The alert id of a notification: ours, else the relay's `klaxon.alert`.
    static func alertID(in userInfo: [AnyHashable: Any]) -> String? {
        if let id = userInfo[alert] as? String { return id }
        return (userInfo["klaxon"] as? [String: Any])?["alert"] as? String
    }

    /// The ring loop the extension recorded, for the app to play while it is
    /// in the foreground.
    static func ringLoop(in userInfo: [AnyHashable: Any]) -> RingLoop? {
        guard let interval = userInfo[ringInterval] as? Double else { return nil }
        return RingLoop(interval: interval, maxDuration: userInfo[ringMaxDuration] as? Double)
    }
}
