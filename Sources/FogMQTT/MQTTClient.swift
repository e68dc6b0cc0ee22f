public import Logging

/// An MQTT v5 client over libmosquitto.
///
/// Lifecycle: `connect()` makes one attempt and reports its outcome; while connected, a
/// lost connection is retried per `MQTTConfiguration.reconnect` (events show
/// `.disconnected`, then `.connected`); `disconnect()` ends the client for good and
/// finishes `messages` and `events`. After a failed `connect()` (or a loss without
/// reconnection) `connect()` may be called again.
///
/// `messages` and `events` are single-consumer streams created with the client, so nothing
/// that arrives between `connect()` and the first iteration is lost.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    /// Messages of all subscriptions, in arrival order; bounded by
    /// `configuration.incomingBufferLimit` (newest dropped and counted when full).
    public let messages: AsyncStream<MQTTMessage>
    /// Connection changes; keeps the newest 256 if nobody reads them.
    public let events: AsyncStream<MQTTConnectionEvent>
    private let connection: MosquittoConnection

    public init(configuration: MQTTConfiguration, logger: Logger) {
        self.configuration = configuration
        let (messages, messageSink) = AsyncStream.makeStream(
            of: MQTTMessage.self, bufferingPolicy: .bufferingOldest(max(configuration.incomingBufferLimit, 1)))
        let (events, eventSink) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(256))
        self.messages = messages
        self.events = events
        connection = MosquittoConnection(
            configuration: configuration, logger: logger, messageSink: messageSink, eventSink: eventSink)
    }

    deinit {
        connection.close()
    }

    /// Whether CONNACK accepted the current connection and it has not been lost since.
    public var isConnected: Bool { connection.isConnected }

    /// Connects and waits for CONNACK, at most `connectTimeout`.
    ///
    /// - Throws: `.brokerUnreachable`, `.tls`, `.notAuthorized` (0x86/0x87/0x8A/0x8C),
    ///   `.connectionRefused` (other reason codes), `.timeout`, `.invalidArgument`,
    ///   `.cancelled`, `.disconnected` after `disconnect()`.
    @discardableResult
    public func connect() async throws(MQTTError) -> MQTTConnectResult {
        try await connection.connect()
    }

    /// Publishes and waits until it is done: QoS 0 once written, QoS 1 at PUBACK, QoS 2 at
    /// PUBCOMP, each bounded by `operationTimeout`. While reconnecting, QoS 1/2 messages are
    /// queued and sent after the reconnect.
    ///
    /// - Returns: the broker's reason code (`.success`, or `.noMatchingSubscribers`).
    /// - Throws: `.publishRejected` with the reason code when it is a failure (≥ 0x80).
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool = false) async throws(MQTTError)
        -> MQTTReasonCode
    {
        try await connection.publish(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    /// Subscribes and waits for SUBACK.
    ///
    /// - Returns: the QoS the broker granted (it may be lower than asked).
    /// - Throws: `.subscriptionRefused` with the reason code (e.g. 0x87 not authorized).
    @discardableResult
    public func subscribe(_ topic: String, qos: MQTTQoS) async throws(MQTTError) -> MQTTQoS {
        try await connection.subscribe(topic, qos: qos)
    }

    /// Unsubscribes and waits for UNSUBACK.
    public func unsubscribe(_ topic: String) async throws(MQTTError) {
        try await connection.unsubscribe(topic)
    }

    /// Sends DISCONNECT (a persistent session stays on the broker), stops the network
    /// thread and finishes both streams. Pending operations fail with `.disconnected`.
    public func disconnect() async {
        await connection.disconnect()
    }
}
