public import FogMQTT

/// Timing of the agent's session to its home ComSat.
public struct AgentSessionConfiguration: Sendable {
    /// How often the agent publishes its status. The controller records it offline after three
    /// intervals without one (its `presenceTimeout`).
    public var statusInterval: Duration
    /// Wait after `statusChanged()` before the status goes out, so a burst of changes (a
    /// deployment starting several processes) makes one message.
    public var statusDebounce: Duration
    /// Backoff between connection attempts, and of the MQTT client's own reconnection.
    public var reconnect: MQTTReconnectPolicy
    /// Largest accepted difference between a command's timestamp and this node's clock, and
    /// how long command nonces are remembered against replays.
    public var clockSkew: Duration
    /// MQTT keepalive in seconds (0 or 5...65535). The ComSat publishes the agent's will (it
    /// went offline) about 1.5 keepalives after the connection silently died.
    public var keepAlive: Int32
    /// How long the ComSat keeps the agent's session (its subscription and queued commands)
    /// while the agent is disconnected, in seconds.
    public var sessionExpiry: UInt32
    /// Bound on one connection attempt.
    public var connectTimeout: Duration
    /// Bound on waiting for a PUBACK or SUBACK.
    public var operationTimeout: Duration

    public init(
        statusInterval: Duration = .seconds(30), statusDebounce: Duration = .milliseconds(250),
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy(initialDelay: .milliseconds(500), maximumDelay: .seconds(60)),
        clockSkew: Duration = .seconds(120), keepAlive: Int32 = 30, sessionExpiry: UInt32 = 7 * 24 * 3_600,
        connectTimeout: Duration = .seconds(10), operationTimeout: Duration = .seconds(10)
    ) {
        self.statusInterval = statusInterval
        self.statusDebounce = statusDebounce
        self.reconnect = reconnect
        self.clockSkew = clockSkew
        self.keepAlive = keepAlive
        self.sessionExpiry = sessionExpiry
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
    }
}
