import FogMQTT
import FogTestSupport
import Foundation
import Testing

/// Topic aliases: subscribers see the full topic; a new connection starts a new alias table.
@Suite struct MQTTTopicAliasTests {
    @Test func aliasedPublishesArriveUnderTheirTopicsAlsoAfterABrokerRestart() async throws {
        try await withMosquitto { broker in
            var configuration = TestClients.configuration(
                broker, clientID: "alias-publisher",
                reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200)))
            configuration.topicAliases = true
            try await withClient(configuration) { publisher in
                for round in 0..<2 {
                    try await withClient(TestClients.configuration(broker, clientID: "alias-subscriber-\(round)")) {
                        subscriber in
                        let received = Collector.draining(subscriber.messages)
                        try await subscriber.subscribe("fog/alias/#", qos: .atLeastOnce)
                        let sent: [(String, UInt8)] = [
                            ("fog/alias/one", 1), ("fog/alias/one", 2), ("fog/alias/two", 3), ("fog/alias/one", 4),
                            ("fog/alias/two", 5),
                        ]
                        for (topic, value) in sent {
                            #expect(try await publisher.publish(topic: topic, payload: [value], qos: .atLeastOnce) == .success)
                        }
                        try await waitUntil("aliased messages", timeout: .seconds(10)) { received.count == sent.count }
                        #expect(received.all.map(\.topic) == sent.map(\.0))
                        #expect(received.all.map { $0.payload.first ?? 0 } == sent.map(\.1))
                    }
                    if round == 0 {
                        // A new connection knows none of the old aliases.
                        try await broker.restart()
                        try await waitUntil("publisher reconnected", timeout: .seconds(10)) { publisher.isConnected }
                    }
                }
            }
        }
    }
}
