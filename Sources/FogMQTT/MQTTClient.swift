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
///
/// A client made with a `SynchronousHandler` hands every message to it instead of `messages`
/// (which then stays empty): see `init(configuration:logger:synchronousHandler:)`.
public final class MQTTClient: Sendable {
    /// Takes one incoming message on libmosquitto's network thread.
    ///
    /// - Important: For a QoS 1 message the PUBACK is written to the socket only after the
    ///   handler returned (libmosquitto 2.0 queues it before the call and its network thread,
    ///   busy in the call, is the only writer), so a process killed inside the handler leaves
    ///   the message unacknowledged and the broker sends it again to the resumed session.
    ///   Make the message durable before returning, and return promptly: while the handler
    ///   runs, this client reads and writes nothing (no other PUBACK, no keepalive). It must
    ///   not wait for anything this client does (a publish's PUBACK, say): that deadlocks.
    ///   QoS 2 gives no such guarantee (libmosquitto sends PUBREC before the handler runs).
    public typealias SynchronousHandler = @Sendable (MQTTMessage) -> Void

    public let configuration: MQTTConfiguration
    /// Messages of all subscriptions, in arrival order; bounded by
    /// `configuration.incomingBufferLimit` (newest dropped and counted when full).
    public let messages: AsyncStream<MQTTMessage>
    /// Connection changes; keeps the newest 256 if nobody reads them.
    public let events: AsyncStream<MQTTConnectionEvent>
    private let connection: MosquittoConnection

    public convenience init(configuration: MQTTConfiguration, logger: Logger) {
        self.init(configuration: configuration, logger: logger, handler: nil)
    }

    /// A client whose messages all go to `synchronousHandler`, on the network thread, before
    /// they are acknowledged to the broker; `messages` stays empty.
    public convenience init(
        configuration: MQTTConfiguration, logger: Logger, synchronousHandler: @escaping SynchronousHandler
    ) {
        self.init(configuration: configuration, logger: logger, handler: synchronousHandler)
    }

    private init(configuration: MQTTConfiguration, logger: Logger, handler: SynchronousHandler?) {
        self.configuration = configuration
        let (messages, messageSink) = AsyncStream.makeStream(
            of: MQTTMessage.self, bufferingPolicy: .bufferingOldest(max(configuration.incomingBufferLimit, 1)))
        let (events, eventSink) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(256))
        self.messages = messages
        self.events = events
        connection = MosquittoConnection(
            configuration: configuration, logger: logger, messageSink: messageSink, eventSink: eventSink,
            synchronousHandler: handler)
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
    /// `userProperties` travel with the message to every subscriber (MQTT v5).
    ///
    /// - Returns: the broker's reason code (`.success`, or `.noMatchingSubscribers`).
    /// - Throws: `.publishRejected` with the reason code when it is a failure (≥ 0x80),
    ///   `.invalidArgument` for a property libmosquitto refuses (not UTF-8, say).
    @discardableResult
    public func publish(
        topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool = false, userProperties: [MQTTUserProperty] = []
    ) async throws(MQTTError) -> MQTTReasonCode {
        try await connection.publish(
            topic: topic, payload: payload, qos: qos, retain: retain, userProperties: userProperties)
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
