/// Everything an `MQTTClient` needs to reach its broker. MQTT v5 only.
///
/// `description` leaves the password out, so logging a configuration leaks nothing.
public struct MQTTConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    /// Empty lets the broker assign one (only with `cleanStart`).
    public var clientID: String
    public var username: String?
    public var password: String?
    public var tls: MQTTTLSConfiguration?
    /// `false` resumes the session stored under `clientID`, if the broker kept one.
    public var cleanStart: Bool
    /// How long the broker keeps the session after the connection ends, in seconds;
    /// 0 ends it with the connection. A persistent session needs both `cleanStart = false`
    /// and a non-zero expiry.
    public var sessionExpiry: UInt32
    /// Seconds between keepalive pings: 0 (off) or 5...65535.
    public var keepAlive: Int32
    public var will: MQTTWill?
    /// `nil`: a lost connection stays lost and pending operations fail with `.disconnected`.
    public var reconnect: MQTTReconnectPolicy?
    /// Bound on one connection attempt, from TCP connect to CONNACK.
    public var connectTimeout: Duration
    /// Bound on waiting for PUBACK/PUBCOMP, SUBACK, UNSUBACK and a clean disconnect.
    public var operationTimeout: Duration
    /// Incoming messages buffered for a slow reader of `messages`; beyond it, new messages
    /// are dropped and counted (`fogfabric_mqtt_messages_dropped_total`). libmosquitto
    /// acknowledges on receipt, so the buffer, not the broker, absorbs a slow reader.
    public var incomingBufferLimit: Int
    /// Sends a topic once per connection and then only a two-byte MQTT v5 topic alias, up to
    /// the broker's topic alias maximum (Mosquitto: `max_topic_alias`, 10 by default).
    ///
    /// - Important: libmosquitto resends an unacknowledged PUBLISH after a reconnect exactly as
    ///   stored, and an alias means nothing on a new connection, so with aliases a lost
    ///   connection fails every unacknowledged publish with `.disconnected` (the caller
    ///   resends) and the next connection starts from a fresh libmosquitto handle; QoS 1/2
    ///   publishes are not queued while reconnecting.
    public var topicAliases: Bool

    public init(
        host: String,
        port: UInt16,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        tls: MQTTTLSConfiguration? = nil,
        cleanStart: Bool = true,
        sessionExpiry: UInt32 = 0,
        keepAlive: Int32 = 30,
        will: MQTTWill? = nil,
        reconnect: MQTTReconnectPolicy? = nil,
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(30),
        incomingBufferLimit: Int = 65_536,
        topicAliases: Bool = false
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.tls = tls
        self.cleanStart = cleanStart
        self.sessionExpiry = sessionExpiry
        self.keepAlive = keepAlive
        self.will = will
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.incomingBufferLimit = incomingBufferLimit
        self.topicAliases = topicAliases
    }

    /// "host:port", for messages and logs.
    public var brokerAddress: String { "\(host):\(port)" }

    public var description: String {
        var parts = ["broker: \(brokerAddress)", "clientID: \(clientID)"]
        if let username { parts.append("username: \(username)") }
        if password != nil { parts.append("password: <redacted>") }
        if let tls { parts.append("tls: ca \(tls.caFile)\(tls.certFile.map { ", cert \($0)" } ?? "")") }
        parts.append("cleanStart: \(cleanStart)")
        parts.append("sessionExpiry: \(sessionExpiry)s")
        parts.append("keepAlive: \(keepAlive)s")
        parts.append("reconnect: \(reconnect == nil ? "off" : "on")")
        return "MQTTConfiguration(\(parts.joined(separator: ", ")))"
    }
}
