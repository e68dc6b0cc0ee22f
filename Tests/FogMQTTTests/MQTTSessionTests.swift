import FogMQTT
import FogTestSupport
import Foundation
import Testing

@Suite struct MQTTSessionTests {
    static let messageCount = 1_000

    /// A subscriber with a persistent session is offline while 1,000 QoS 1 messages are
    /// published; the broker restarts (persistence on); the subscriber returns and gets each
    /// message exactly once, in order.
    @Test func persistentSessionSurvivesBrokerRestart() async throws {
        // Mosquitto queues at most 1,000 messages per offline client by default; raise the
        // limit so this test is about delivery and ordering, not about that limit.
        let config = BrokerConfiguration(persistence: true, extraLines: ["max_queued_messages 5000"])
        try await withMosquitto(config) { broker in
            var subscriberConfiguration = TestClients.configuration(broker, clientID: "session-subscriber")
            subscriberConfiguration.cleanStart = false
            subscriberConfiguration.sessionExpiry = 3600
            try await withClient(subscriberConfiguration) { subscriber async throws in
                #expect(try await subscriber.subscribe("fog/session", qos: .atLeastOnce) == .atLeastOnce)
            }

            try await withClient(TestClients.configuration(broker, clientID: "session-publisher")) { publisher in
                for sequence in 0..<Self.messageCount {
                    let reason = try await publisher.publish(
                        topic: "fog/session", payload: Self.encode(sequence), qos: .atLeastOnce)
                    #expect(reason == .success)
                }
            }

            try await broker.restart()
            #expect(FileManager.default.fileExists(atPath: broker.dataDirectory + "mosquitto.db"))

            try await withClient(subscriberConfiguration, connect: false) { subscriber in
                let received = Collector.draining(subscriber.messages)
                let result = try await subscriber.connect()
                #expect(result.sessionPresent)
                // Delivery on one topic is ordered, so once this marker arrives everything
                // queued before it has arrived too, and nothing more is coming.
                let marker = Self.encode(Int(UInt32.max))
                try await withClient(TestClients.configuration(broker, clientID: "session-marker")) { publisher in
                    _ = try await publisher.publish(topic: "fog/session", payload: marker, qos: .atLeastOnce)
                }
                try await waitUntil("all queued messages and the marker", timeout: .seconds(30)) {
                    received.all.last?.payload == marker
                }
                let sequences = received.all.dropLast().map { Self.decode($0.payload) }
                #expect(sequences.count == Self.messageCount)
                #expect(sequences == Array(0..<Self.messageCount))
                #expect(received.all.dropLast().allSatisfy { $0.qos == .atLeastOnce && $0.topic == "fog/session" })
            }
        }
    }

    private static func encode(_ sequence: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: sequence).bigEndian) { Array($0) }
    }

    private static func decode(_ payload: [UInt8]) -> Int {
        payload.reduce(0) { $0 << 8 | Int($1) }
    }
}
