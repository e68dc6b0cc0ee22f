import FogMQTT

/// Issue 7, scenario 7: how long a ComSat restart interrupts links that have a backlog,
/// against bare Mosquitto with the same persistence and the same clients.
public struct RecoveryConfiguration: Sendable {
    /// Links: a sending and a receiving half each, both with a persistent session.
    public var links: Int
    /// Messages each sending half publishes while its receiving half is away.
    public var backlog: Int
    /// Restarts of each broker, alternating which goes first; the report takes the median.
    public var rounds: Int
    /// Bytes per message, including the 20-byte sequence header.
    public var payloadSize: Int
    /// Stop the broker with SIGKILL (after SIGUSR1 made it save its database) instead of
    /// SIGTERM (which saves on the way out).
    public var kill: Bool
    /// How halves reconnect, as `LinkHalfConfiguration`'s default does: from 200 ms, doubling
    /// per failed attempt up to 15 s, half of each delay jittered away.
    public var reconnectInitialDelay: Duration
    public var reconnectMaximumDelay: Duration
    /// CONNECTs outstanding at once while reconnecting.
    public var maximumConnecting: Int
    /// Session expiry the halves ask for (`LinkHalfConfiguration`'s default: 7 days).
    public var sessionExpiry: UInt32
    /// `libcomsat.so`.
    public var comsatPlugin: String
    /// Bound on connecting, subscribing and publishing the backlog.
    public var setupTimeout: Duration
    /// Bound on one broker's recovery.
    public var recoveryTimeout: Duration
    /// The whole scenario's hard limit.
    public var timeLimit: Duration

    public init(
        links: Int = 1_000,
        backlog: Int = 20,
        rounds: Int = 5,
        payloadSize: Int = 64,
        kill: Bool = false,
        reconnectInitialDelay: Duration = .milliseconds(200),
        reconnectMaximumDelay: Duration = .seconds(15),
        maximumConnecting: Int = 64,
        sessionExpiry: UInt32 = 7 * 24 * 3600,
        comsatPlugin: String,
        setupTimeout: Duration = .seconds(60),
        recoveryTimeout: Duration = .seconds(90),
        timeLimit: Duration = .seconds(240)
    ) {
        self.links = links
        self.backlog = backlog
        self.rounds = rounds
        self.payloadSize = payloadSize
        self.kill = kill
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaximumDelay = reconnectMaximumDelay
        self.maximumConnecting = maximumConnecting
        self.sessionExpiry = sessionExpiry
        self.comsatPlugin = comsatPlugin
        self.setupTimeout = setupTimeout
        self.recoveryTimeout = recoveryTimeout
        self.timeLimit = timeLimit
    }

    var reconnect: MQTTReconnectPolicy {
        MQTTReconnectPolicy(initialDelay: reconnectInitialDelay, maximumDelay: reconnectMaximumDelay)
    }
}
