/// A change of the client's connection, in the order it happened.
public enum MQTTConnectionEvent: Sendable, Hashable {
    /// CONNACK accepted; `sessionPresent` says the broker resumed a stored session.
    case connected(sessionPresent: Bool)
    /// The connection ended. `reason` is the broker's DISCONNECT reason code when it sent
    /// one, `.normalDisconnection` after `disconnect()`, and `nil` when the network dropped.
    case disconnected(reason: MQTTReasonCode?)
}
