public import FogMQTT

/// How the controller connects to and talks with a ComSat.
public struct ComSatSessionConfiguration: Sendable {
    /// How long a command waits for its signed response.
    public var responseTimeout: Duration
    /// How long the ComSat keeps the controller's session (and responses queued for it)
    /// while the controller is away, in seconds.
    public var sessionExpiry: UInt32
    public var keepAlive: Int32
    /// Reconnection after a lost connection; the controller never gives up on a ComSat.
    public var reconnect: MQTTReconnectPolicy
    public var connectTimeout: Duration
    /// Bound on a PUBACK for a command.
    public var operationTimeout: Duration

    public init(
        responseTimeout: Duration = .seconds(15), sessionExpiry: UInt32 = 3_600, keepAlive: Int32 = 30,
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy(), connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(15)
    ) {
        self.responseTimeout = responseTimeout
        self.sessionExpiry = sessionExpiry
        self.keepAlive = keepAlive
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
    }
}
