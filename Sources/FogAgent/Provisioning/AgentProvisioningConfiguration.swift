public import FogMQTT

/// Settings of `AgentProvisioner`.
public struct AgentProvisioningConfiguration: Sendable {
    /// How long to wait for an answer after each publish of the request.
    public var attemptTimeout: Duration
    /// How many times the same request (same nonce) is published before giving up. All
    /// attempts together must stay well inside the controller's clock skew (120 s), since
    /// the request's timestamp is fixed.
    public var attempts: Int
    public var connectTimeout: Duration
    /// Reconnection after a lost connection (e.g. taken over by a rival with the same key).
    public var reconnect: MQTTReconnectPolicy
    /// Clock skew accepted on the controller's answer.
    public var clockSkew: Duration

    public init(
        attemptTimeout: Duration = .seconds(10), attempts: Int = 3, connectTimeout: Duration = .seconds(10),
        clockSkew: Duration = .seconds(120),
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(2))
    ) {
        self.attemptTimeout = attemptTimeout
        self.attempts = max(1, attempts)
        self.connectTimeout = connectTimeout
        self.clockSkew = clockSkew
        self.reconnect = reconnect
    }
}
