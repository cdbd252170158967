import Foundation

/// The APNs device token and when this device first saw it, kept in the
/// shared defaults so its age survives restarts (core's self-check warns
/// about old tokens).
struct PushToken: Equatable {
    /// Hex token, as the relay sends it to APNs.
    let value: String
    /// When this token first appeared.
    let issuedAt: Date

    private static let valueKey = "klaxon.pushToken"
    private static let issuedKey = "klaxon.pushTokenIssuedAt"

    /// The token last saved.
    static func saved() -> PushToken? {
        let defaults = AppGroup.defaults
        guard let value = defaults.string(forKey: valueKey),
              let issued = defaults.object(forKey: issuedKey) as? Date else { return nil }
        return PushToken(value: value, issuedAt: issued)
    }

    /// Records `value`; keeps the old issue date when APNs hands back the
    /// same token (it does on every launch).
    static func record(_ value: String, now: Date = Date()) -> PushToken {
        if let old = saved(), old.value == value {
            return old
        }
        let token = PushToken(value: value, issuedAt: now)
        AppGroup.defaults.set(value, forKey: valueKey)
        AppGroup.defaults.set(now, forKey: issuedKey)
        return token
    }
}
