import FogMQTT
import FogTestSupport
import Foundation
import Testing

@Suite struct MQTTSwarmTests {
    /// Everything a swarm reported, per connection.
    final class Recorder: MQTTSwarmHandler {
        var connected = Set<Int>()
        var disconnects: [(connection: Int, error: MQTTSwarmError?)] = []
        var acknowledged: [UInt8] = []
        var received: [Int: [SequencedPayload]] = [:]
        var topics: [Int: Set<String>] = [:]

        func swarm(_ swarm: MQTTSwarm, connected connection: MQTTSwarmConnectionID) {
            connected.insert(connection.index)
        }

        func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?) {
            disconnects.append((connection.index, error))
        }

        func swarm(_ swarm: MQTTSwarm, publishCompleted messageID: Int32, reasonCode: UInt8, on connection: MQTTSwarmConnectionID) {
            acknowledged.append(reasonCode)
        }

        func swarm(
            _ swarm: MQTTSwarm, received payload: UnsafeRawBufferPointer, topic: UnsafeRawBufferPointer,
            on connection: MQTTSwarmConnectionID
        ) {
            if let header = SequencedPayload(payload) {
                received[connection.index, default: []].append(header)
            }
            topics[connection.index, default: []].insert(String(decoding: topic, as: UTF8.self))
        }
    }

    /// Swarms block in epoll_wait, so they get a thread of their own rather than one of
    /// the test runner's cooperative threads.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    @Test func pairsDeliverEveryQoS1MessageOnceAndInOrder() async throws {
        try await withMosquitto(BrokerConfiguration(allowAnonymous: true)) { broker in
            let port = broker.port
            try await onThread {
                let pairs = 10
                let messages = 50
                let swarm = try MQTTSwarm()
                let recorder = Recorder()
                var subscribers: [MQTTSwarmConnectionID] = []
                var publishers: [MQTTSwarmConnectionID] = []
                for pair in 0..<pairs {
                    subscribers.append(try swarm.add(.init(port: port, clientID: "swarm-sub-\(pair)")))
                    publishers.append(try swarm.add(.init(port: port, clientID: "swarm-pub-\(pair)")))
                }
                try swarm.connect(subscribers + publishers, maximumPending: 4, timeout: .seconds(10), handler: recorder)
                #expect(swarm.connectedCount == 2 * pairs)
                #expect(recorder.connected.count == 2 * pairs)
                for (pair, subscriber) in subscribers.enumerated() {
                    try swarm.subscribe(subscriber, topic: "swarm/\(pair)", qos: .atLeastOnce)
                }
                try swarm.waitForSubscriptions(timeout: .seconds(10), handler: recorder)

                var payload = [UInt8](repeating: 0, count: 64)
                for sequence in 0..<messages {
                    for (pair, publisher) in publishers.enumerated() {
                        payload.withUnsafeMutableBytes {
                            SequencedPayload(stream: UInt32(pair), sequence: UInt64(sequence), sentAt: MonotonicClock.nanoseconds())
                                .write(to: $0)
                        }
                        try swarm.publish(publisher, topic: "swarm/\(pair)", payload: payload, qos: .atLeastOnce)
                    }
                }
                try swarm.run(timeout: .seconds(20), handler: recorder, waitingFor: "every message and PUBACK") {
                    recorder.received.values.reduce(0) { $0 + $1.count } == pairs * messages
                        && recorder.acknowledged.count == pairs * messages
                }
                #expect(recorder.acknowledged.allSatisfy { $0 == 0 })
                for (pair, subscriber) in subscribers.enumerated() {
                    let arrived = recorder.received[subscriber.index] ?? []
                    #expect(arrived.map(\.stream).allSatisfy { $0 == UInt32(pair) })
                    #expect(arrived.map(\.sequence) == (0..<UInt64(messages)).map { $0 })
                    #expect(recorder.topics[subscriber.index] == ["swarm/\(pair)"])
                }
                try swarm.disconnectAll(timeout: .seconds(10), handler: recorder)
                #expect(swarm.connectedCount == 0)
                #expect(swarm.unexpectedDisconnects == 0)
                #expect(recorder.disconnects.count == 2 * pairs)
                #expect(recorder.disconnects.allSatisfy { $0.error == nil })
            }
        }
    }

    @Test func refusedConnectionsNameTheClientAndReasonCode() async throws {
        try await withMosquitto(BrokerConfiguration(allowAnonymous: false)) { broker in
            let port = broker.port
            try await onThread {
                let swarm = try MQTTSwarm()
                let recorder = Recorder()
                let ids = try (0..<3).map { try swarm.add(.init(port: port, clientID: "refused-\($0)")) }
                let error = try #require(throws: MQTTSwarmError.self) {
                    try swarm.connect(ids, timeout: .seconds(10), handler: recorder)
                }
                #expect(error.code == .connectionRefused)
                #expect((error.reasonCode ?? 0) >= 0x80)
                #expect(error.message.contains("3 of 3"))
                #expect(error.message.contains("refused-"))
                #expect(swarm.connectedCount == 0)
                #expect(recorder.disconnects.count == 3)
            }
        }
    }

    @Test func closedPortFailsWithinTheTimeout() async throws {
        let port = try FreePort.next()
        try await onThread {
            let swarm = try MQTTSwarm()
            let recorder = Recorder()
            let id = try swarm.add(.init(port: port, clientID: "nobody-home"))
            let error = try #require(throws: MQTTSwarmError.self) {
                try swarm.connect([id], timeout: .seconds(5), handler: recorder)
            }
            #expect([MQTTSwarmError.Code.connectFailed, .connectionLost].contains(error.code), "\(error)")
            #expect(error.message.contains("nobody-home"))
        }
    }

    @Test func publishingOnAnUnconnectedClientIsATypedError() throws {
        let swarm = try MQTTSwarm()
        let id = try swarm.add(.init(port: 1, clientID: "idle"))
        let error = try #require(throws: MQTTSwarmError.self) {
            try swarm.publish(id, topic: "t", payload: [1, 2, 3], qos: .atLeastOnce)
        }
        #expect(error.code == .publishFailed)
        #expect(swarm.capacity > 1_000)
        #expect(MQTTSwarm.descriptorsPerConnection == 3)
    }
}
