import FogMQTT
import FogTestSupport
import Foundation
import Testing

/// Persistent sessions, partial disconnects and self-scheduled reconnection in `MQTTSwarm`,
/// what the recovery benchmark relies on; and histograms crossing a process boundary.
@Suite struct MQTTSwarmSessionTests {
    final class Recorder: MQTTSwarmHandler {
        var connects: [Int] = []
        var losses: [Int] = []
        var received: [Int: [UInt64]] = [:]
        var acknowledged = 0

        func swarm(_ swarm: MQTTSwarm, connected connection: MQTTSwarmConnectionID) {
            connects.append(connection.index)
        }

        func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?) {
            if error != nil {
                losses.append(connection.index)
            }
        }

        func swarm(_ swarm: MQTTSwarm, publishCompleted messageID: Int32, reasonCode: UInt8, on connection: MQTTSwarmConnectionID) {
            acknowledged += 1
        }

        func swarm(
            _ swarm: MQTTSwarm, received payload: UnsafeRawBufferPointer, topic: UnsafeRawBufferPointer,
            on connection: MQTTSwarmConnectionID
        ) {
            if let header = SequencedPayload(payload) {
                received[connection.index, default: []].append(header.sequence)
            }
        }
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Publishes `count` sequenced messages on `topic` and waits for their PUBACKs.
    private func publish(_ count: Int, from publisher: MQTTSwarmConnectionID, topic: String, swarm: MQTTSwarm, recorder: Recorder) throws {
        let before = recorder.acknowledged
        var payload = [UInt8](repeating: 0, count: 32)
        for sequence in 0..<count {
            payload.withUnsafeMutableBytes {
                SequencedPayload(stream: 0, sequence: UInt64(sequence), sentAt: MonotonicClock.nanoseconds()).write(to: $0)
            }
            try swarm.publish(publisher, topic: topic, payload: payload, qos: .atLeastOnce)
        }
        try swarm.run(timeout: .seconds(10), handler: recorder, waitingFor: "PUBACKs") { recorder.acknowledged - before == count }
    }

    @Test func persistentSubscriberGetsWhatWasPublishedWhileItWasAway() async throws {
        try await withMosquitto(BrokerConfiguration(allowAnonymous: true)) { broker in
            let port = broker.port
            try await onThread {
                let swarm = try MQTTSwarm()
                let recorder = Recorder()
                let persistent = try swarm.add(.init(port: port, clientID: "session-keeper", sessionExpiry: 300))
                let clean = try swarm.add(.init(port: port, clientID: "session-dropper"))
                let publisher = try swarm.add(.init(port: port, clientID: "session-publisher"))
                try swarm.connect([persistent, clean, publisher], timeout: .seconds(10), handler: recorder)
                try swarm.subscribe(persistent, topic: "away/kept", qos: .atLeastOnce)
                try swarm.subscribe(clean, topic: "away/dropped", qos: .atLeastOnce)
                try swarm.waitForSubscriptions(timeout: .seconds(10), handler: recorder)

                try swarm.disconnect([persistent, clean], timeout: .seconds(10), handler: recorder)
                #expect(!swarm.isConnected(persistent) && !swarm.isConnected(clean))
                #expect(swarm.isConnected(publisher))
                #expect(recorder.losses.isEmpty)
                try publish(5, from: publisher, topic: "away/kept", swarm: swarm, recorder: recorder)
                try publish(5, from: publisher, topic: "away/dropped", swarm: swarm, recorder: recorder)

                try swarm.startConnecting(persistent)
                try swarm.startConnecting(clean)
                #expect(throws: MQTTSwarmError.self) { try swarm.startConnecting(publisher) }
                try swarm.run(timeout: .seconds(10), handler: recorder, waitingFor: "the backlog") {
                    swarm.isConnected(clean) && recorder.received[persistent.index]?.count == 5
                }
                // Anything queued for the clean session would have arrived with the backlog.
                try swarm.poll(timeout: .milliseconds(200), handler: recorder)
                #expect(recorder.received[persistent.index] == [0, 1, 2, 3, 4])
                #expect(recorder.received[clean.index] == nil)
                try swarm.disconnectAll(timeout: .seconds(10), handler: recorder)
            }
        }
    }

    @Test func startConnectingWithoutABrokerFailsAtOnceForAPersistentSession() async throws {
        let port = try FreePort.next()
        try await onThread {
            let swarm = try MQTTSwarm()
            let id = try swarm.add(.init(port: port, clientID: "nobody-keeps-this", sessionExpiry: 60))
            let error = try #require(throws: MQTTSwarmError.self) { try swarm.startConnecting(id) }
            #expect(error.code == .connectFailed)
            #expect(error.message.contains("nobody-keeps-this"))
            #expect(!swarm.isConnected(id))
        }
    }

    @Test func histogramRebuiltFromItsBucketsHasTheSamePercentiles() throws {
        var histogram = LatencyHistogram()
        for value in stride(from: UInt64(1_000), through: 5_000_000, by: 997) {
            histogram.record(nanoseconds: value)
        }
        let rebuilt = try #require(
            LatencyHistogram(buckets: histogram.buckets, minimum: histogram.minimum, maximum: histogram.maximum, sum: histogram.total))
        #expect(rebuilt.count == histogram.count)
        #expect(rebuilt.mean == histogram.mean)
        for percentile in [0.0, 50, 90, 99, 99.9, 100] {
            #expect(rebuilt.value(atPercentile: percentile) == histogram.value(atPercentile: percentile))
        }
        #expect(LatencyHistogram(buckets: [(index: 1 << 20, count: 1)], minimum: 0, maximum: 0, sum: 0) == nil)
    }
}
