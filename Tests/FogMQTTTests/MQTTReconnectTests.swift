import FogMQTT
import FogTestSupport
import Testing

@Suite struct MQTTReconnectTests {
    static let policy = MQTTReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(400))

    @Test func clientComesBackAfterBrokerKillAndRestart() async throws {
        try await withMosquitto { broker in
            let configuration = TestClients.configuration(broker, clientID: "reconnecting", reconnect: Self.policy)
            try await withClient(configuration, connect: false) { client in
                let events = Collector.draining(client.events)
                let received = Collector.draining(client.messages)
                try await client.connect()
                try await client.subscribe("fog/reconnect", qos: .atLeastOnce)

                await broker.kill()
                try await waitUntil("disconnected event", timeout: .seconds(5)) { events.count >= 2 }
                #expect(!client.isConnected)
                try await broker.start()
                try await waitUntil("reconnected event", timeout: .seconds(10)) { events.count >= 3 }
                #expect(
                    events.all == [
                        .connected(sessionPresent: false), .disconnected(reason: nil), .connected(sessionPresent: false),
                    ])
                #expect(client.isConnected)

                // The broker lost the subscription with its memory; the client restores it
                // after CONNACK, so publish until its own message comes back.
                try await waitUntil("own message after resubscription", timeout: .seconds(5), poll: .milliseconds(100)) {
                    _ = try await client.publish(topic: "fog/reconnect", payload: [7], qos: .atLeastOnce)
                    return received.all.contains { $0.payload == [7] }
                }
            }
        }
    }

    @Test func withoutPolicyALostConnectionStaysLost() async throws {
        try await withMosquitto { broker in
            let configuration = TestClients.configuration(broker, clientID: "not-reconnecting")
            try await withClient(configuration, connect: false) { client in
                let events = Collector.draining(client.events)
                try await client.connect()
                await broker.kill()
                try await waitUntil("disconnected event", timeout: .seconds(5)) { events.count >= 2 }
                let error = await #expect(throws: MQTTError.self) {
                    try await client.publish(topic: "fog/x", payload: [], qos: .atLeastOnce)
                }
                #expect(error?.code == .disconnected)
                // It may be connected again by hand.
                try await broker.start()
                try await client.connect()
                #expect(try await client.publish(topic: "fog/x", payload: [], qos: .atLeastOnce) == .noMatchingSubscribers)
            }
        }
    }

    /// A second client with the same id takes the session over. Mosquitto 2.0.11 closes the
    /// first connection without a DISCONNECT, so the first client sees a plain loss, and its
    /// will is published because it never sent DISCONNECT.
    @Test func willIsPublishedWhenTheConnectionIsTakenOver() async throws {
        try await withMosquitto { broker in
            try await withClient(TestClients.configuration(broker, clientID: "will-watcher")) { watcher in
                let wills = Collector.draining(watcher.messages)
                try await watcher.subscribe("fog/will", qos: .atLeastOnce)
                var first = TestClients.configuration(broker, clientID: "taken-over")
                first.will = MQTTWill(topic: "fog/will", payload: Array("gone".utf8), qos: .atLeastOnce)
                try await withClient(first, connect: false) { client in
                    let events = Collector.draining(client.events)
                    try await client.connect()
                    try await withClient(TestClients.configuration(broker, clientID: "taken-over")) { _ in
                        try await waitUntil("will published", timeout: .seconds(5)) { wills.count == 1 }
                        #expect(wills.all.first?.payload == Array("gone".utf8))
                        try await waitUntil("first client lost its connection", timeout: .seconds(5)) {
                            events.count == 2
                        }
                        #expect(events.all == [.connected(sessionPresent: false), .disconnected(reason: nil)])
                        #expect(!client.isConnected)
                    }
                }
            }
        }
    }

    @Test func backoffGrowsWithJitterAndCap() {
        let policy = MQTTReconnectPolicy(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2, jitter: 0.5)
        for attempt in 1...10 {
            let ceiling = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
            for _ in 0..<50 {
                let delay = policy.delay(beforeAttempt: attempt)
                #expect(delay <= ceiling && delay >= ceiling / 2, "attempt \(attempt): \(delay)")
            }
        }
        let fixed = MQTTReconnectPolicy(initialDelay: .milliseconds(300), jitter: 0)
        #expect(fixed.delay(beforeAttempt: 1) == .milliseconds(300))
    }
}
