import FogMQTT

/// One admin connection that sends a control message and waits for the broker's answer,
/// one at a time: how a controller talks to ComSat's `$CONTROL/comsat/v1` and how an admin
/// talks to Mosquitto's `$CONTROL/dynamic-security/v1`.
///
/// Runs on a one-connection swarm, so timing a batch measures the broker, not an async
/// hop per message.
///
/// - Important: Confined to the thread that created it.
final class ControlChannel: MQTTSwarmHandler {
    private let swarm: MQTTSwarm
    private let connection: MQTTSwarmConnectionID
    private let commandTopic: String
    private let responseSubscription: String?
    private var response: [UInt8]?
    private var lostError: MQTTSwarmError?

    /// - Parameter responseSubscription: the topic answers arrive on when the broker routes
    ///   them through subscriptions (dynamic security); nil when it delivers them straight
    ///   to the admin's client id (ComSat).
    init(options: MQTTSwarmConnectionOptions, commandTopic: String, responseSubscription: String?) throws {
        swarm = try MQTTSwarm(maximumEventsPerPoll: 16)
        connection = try swarm.add(options)
        self.commandTopic = commandTopic
        self.responseSubscription = responseSubscription
    }

    func connect(timeout: Duration) throws {
        try swarm.connect([connection], timeout: timeout, handler: self)
        if let responseSubscription {
            try swarm.subscribe(connection, topic: responseSubscription, qos: .atLeastOnce)
            try swarm.waitForSubscriptions(timeout: timeout, handler: self)
        }
    }

    /// Publishes `payload` (QoS 1) and returns the next message that arrives.
    /// - Throws: `BenchError.controlTimeout` when nothing arrives within `timeout`.
    func request(_ payload: [UInt8], timeout: Duration, describing what: String) throws -> [UInt8] {
        response = nil
        try swarm.publish(connection, topic: commandTopic, payload: payload, qos: .atLeastOnce)
        guard try awaitAnswer(timeout: timeout, describing: what) else {
            throw BenchError(.controlTimeout, "no answer to \(what) on \(commandTopic) within \(timeout)")
        }
        if let lostError {
            throw lostError
        }
        guard let response else {
            throw BenchError(.controlTimeout, "no answer to \(what) on \(commandTopic)")
        }
        return response
    }

    /// Polls until an answer arrives or the connection drops; false on timeout.
    private func awaitAnswer(timeout: Duration, describing what: String) throws(MQTTSwarmError) -> Bool {
        do {
            try swarm.run(timeout: timeout, handler: self, waitingFor: "the answer to \(what)") {
                response != nil || lostError != nil
            }
            return true
        } catch {
            guard error.code == .timeout else { throw error }
            return false
        }
    }

    func disconnect(timeout: Duration) throws {
        try swarm.disconnectAll(timeout: timeout, handler: self)
    }

    func swarm(
        _ swarm: MQTTSwarm,
        received payload: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer,
        on connection: MQTTSwarmConnectionID
    ) {
        response = Array(payload)
    }

    func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?) {
        lostError = error
    }
}
