/// What the broker's CONNACK said about an accepted connection.
public struct MQTTConnectResult: Sendable, Hashable {
    /// The broker resumed a stored session (subscriptions and queued messages survive).
    public var sessionPresent: Bool

    public init(sessionPresent: Bool) {
        self.sessionPresent = sessionPresent
    }
}
