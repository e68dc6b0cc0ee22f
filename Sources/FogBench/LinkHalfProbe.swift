import FogMQTT
import Logging

/// What an application sees of a link half's credentials on a broker, measured with real
/// MQTT clients (FogMQTT, as `fog-link` uses): how long until a first message crosses, and
/// whether the broker still accepts the credentials.
struct LinkHalfProbe: Sendable {
    var host = "127.0.0.1"
    var port: UInt16
    /// Longest wait for one connect, subscribe, publish or the message's arrival.
    var timeout: Duration = .seconds(10)

    private static let logger = Logger(label: "fogfabric.bench.probe") { _ in SwiftLogNoOpLogHandler() }

    /// Connects `receiver` (subscribing to its topic) and `sender` at the same time, as two
    /// halves starting fresh do, publishes one QoS 1 message on `sender`'s topic and returns
    /// when it arrived at `receiver`. Both clients disconnect before it returns.
    /// - Throws: `MQTTError` from a refused or failed step, `BenchError.controlTimeout` when
    ///   the message does not arrive within `timeout`.
    func firstMessage(from sender: LinkHalfCredentials, to receiver: LinkHalfCredentials) async throws -> ContinuousClock.Instant {
        let receiving = client(receiver)
        let sending = client(sender)
        let outcome: Result<ContinuousClock.Instant, any Error>
        do {
            outcome = .success(try await exchange(from: sender, sending, to: receiver, receiving))
        } catch {
            outcome = .failure(error)
        }
        await receiving.disconnect()
        await sending.disconnect()
        return try outcome.get()
    }

    private func exchange(
        from sender: LinkHalfCredentials, _ sending: MQTTClient, to receiver: LinkHalfCredentials, _ receiving: MQTTClient
    ) async throws -> ContinuousClock.Instant {
        async let subscribed: Void = {
            try await receiving.connect()
            _ = try await receiving.subscribe(receiver.subscribeTopic, qos: .atLeastOnce)
        }()
        try await sending.connect()
        try await subscribed
        let timeout = timeout
        return try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
            group.addTask {
                for await _ in receiving.messages { return ContinuousClock.now }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            _ = try await sending.publish(topic: sender.publishTopic, payload: Array("first".utf8), qos: .atLeastOnce)
            let arrived = try await group.next() ?? nil
            group.cancelAll()
            guard let arrived else {
                throw BenchError(
                    .controlTimeout, "no message on \(sender.publishTopic) from \(sender.clientID) to \(receiver.clientID) within \(timeout)")
            }
            return arrived
        }
    }

    /// Whether the broker refuses `half`'s credentials now: a CONNACK refusal is true, an
    /// accepted connection (closed again at once) false.
    /// - Throws: `MQTTError` when the broker cannot be reached or gives no answer.
    func refuses(_ half: LinkHalfCredentials) async throws -> Bool {
        let probe = client(half)
        do {
            try await probe.connect()
        } catch where error.code == .notAuthorized || error.code == .connectionRefused {
            await probe.disconnect()
            return true
        } catch {
            await probe.disconnect()
            throw error
        }
        await probe.disconnect()
        return false
    }

    /// Polls `refuses(half)` every `interval` until it is true and returns that moment.
    /// - Throws: `BenchError.controlTimeout` when the credentials are still accepted after `timeout`.
    func awaitRefusal(of half: LinkHalfCredentials, interval: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await refuses(half) { return .now }
            guard ContinuousClock.now < deadline else {
                throw BenchError(.controlTimeout, "the credentials of client \(half.clientID) are still accepted after \(timeout)")
            }
            try await Task.sleep(for: interval)
        }
    }

    private func client(_ half: LinkHalfCredentials) -> MQTTClient {
        MQTTClient(
            configuration: MQTTConfiguration(
                host: host, port: port, clientID: half.clientID, username: half.username, password: half.password,
                connectTimeout: timeout, operationTimeout: timeout),
            logger: Self.logger)
    }
}
