public import FogMQTT

/// How one `fog-link` process runs: where its state lives, how to reach the agent's local
/// bus, and the timing of batching, acknowledgements and retries.
public struct LinkHalfConfiguration: Sendable {
    /// `HALF_DIR`: the agent wrote `assignment` here; the half owns every other file.
    public var directory: String
    public var busHost: String
    public var busPort: UInt16
    public var busUsername: String?
    /// File holding the bus password (first line); `nil` connects without one.
    public var busPasswordFile: String?
    /// Client id on the local bus; `nil` uses `fog-link-<link id>-<a|b>`.
    public var busClientID: String?
    /// Private topic on the local bus where the half, on start, publishes a probe that comes
    /// back after every echo still queued in its session (see "Delivery to the local bus" in
    /// PROTOCOL.md); `nil` uses `fog-link/<link id>/<a|b>/delivered`.
    public var busMarkerTopic: String?
    /// Bound on the outbound queue's unacknowledged bytes; a full queue stops taking local
    /// messages (they wait on the bus) and says so in the log.
    public var queueMaximumBytes: UInt64
    /// How long the sender waits for more messages before sealing a frame that is not full.
    public var linger: Duration
    /// Largest plaintext of one data frame.
    public var maximumFrameBytes: Int
    /// Messages sent but not yet acknowledged before the sender pauses.
    public var maximumInFlight: Int
    /// Interval between standalone acknowledgements (they ride on data frames when there are any).
    public var acknowledgementInterval: Duration
    /// Unacknowledged data is sent again when no acknowledgement advanced for this long.
    public var retransmitTimeout: Duration
    /// Interval between hellos while the handshake is incomplete.
    public var handshakeRetry: Duration
    /// A handshake still incomplete after this long starts over with a fresh key: hellos of
    /// an earlier connection, redelivered late by MQTT, can leave the two halves on
    /// different key pairs that retransmitted hellos alone never reconcile.
    public var handshakeStall: Duration
    /// How long the local bus may take to acknowledge a publish or subscription.
    public var busOperationTimeout: Duration
    /// How long frames with the peer's current key must keep failing authentication (at least
    /// three of them) before the half concludes the keys disagree and starts a fresh handshake.
    public var keyDisagreementWindow: Duration
    /// After a delivery to the local bus timed out, how long to wait for its echo (proof the
    /// bus took it after all) before publishing it again.
    public var busDeliveryPatience: Duration
    /// Interval between writes of the receive cursor file.
    public var cursorInterval: Duration
    /// Backoff between connection attempts to the ComSat and the bus (never gives up).
    public var reconnect: MQTTReconnectPolicy
    /// Session kept by the ComSat while the half is away, in seconds.
    public var comsatSessionExpiry: UInt32
    public var keepAlive: Int32

    public init(
        directory: String, busHost: String = "127.0.0.1", busPort: UInt16, busUsername: String? = nil,
        busPasswordFile: String? = nil, busClientID: String? = nil, busMarkerTopic: String? = nil,
        queueMaximumBytes: UInt64 = 256 << 20, linger: Duration = .milliseconds(2), maximumFrameBytes: Int = 64 * 1024,
        busOperationTimeout: Duration = .seconds(20), maximumInFlight: Int = 8_192,
        acknowledgementInterval: Duration = .milliseconds(20),
        retransmitTimeout: Duration = .seconds(3), handshakeRetry: Duration = .seconds(1),
        handshakeStall: Duration = .seconds(10), keyDisagreementWindow: Duration = .seconds(5),
        busDeliveryPatience: Duration = .seconds(60),
        cursorInterval: Duration = .milliseconds(50),
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy(initialDelay: .milliseconds(200), maximumDelay: .seconds(15)),
        comsatSessionExpiry: UInt32 = 7 * 24 * 3600, keepAlive: Int32 = 30
    ) {
        self.directory = directory
        self.busHost = busHost
        self.busPort = busPort
        self.busUsername = busUsername
        self.busPasswordFile = busPasswordFile
        self.busClientID = busClientID
        self.busMarkerTopic = busMarkerTopic
        self.queueMaximumBytes = queueMaximumBytes
        self.linger = linger
        self.maximumFrameBytes = maximumFrameBytes
        self.maximumInFlight = maximumInFlight
        self.acknowledgementInterval = acknowledgementInterval
        self.retransmitTimeout = retransmitTimeout
        self.handshakeRetry = handshakeRetry
        self.handshakeStall = handshakeStall
        self.keyDisagreementWindow = keyDisagreementWindow
        self.busDeliveryPatience = busDeliveryPatience
        self.busOperationTimeout = busOperationTimeout
        self.cursorInterval = cursorInterval
        self.reconnect = reconnect
        self.comsatSessionExpiry = comsatSessionExpiry
        self.keepAlive = keepAlive
    }
}
