import FogCore
import FogMQTT
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// Two real `fog-link` processes through a real ComSat with the plugin: every reading
/// arrives exactly once and in order, through restarts and kills, and the ComSat never
/// holds or relays a plaintext byte of it.
@Suite(.serialized) struct LinkHalfTests {
    static let readings = 2_000

    @Test func deliversEveryReadingOnceInOrderAndTheComSatSeesNoPlaintext() async throws {
        try await LinkRig.run(proxyOnA: true) { rig in
            let proxy = try #require(rig.proxy)
            // Single: each reading travels alone (the next is sent once the previous arrived).
            let singles = 100
            let before = proxy.byteCounts
            for index in 0..<singles {
                try await rig.produce(index..<(index + 1))
                try await waitUntil("reading \(index)", timeout: .seconds(10), poll: .milliseconds(1)) {
                    rig.consumer.count > index
                }
            }
            try await Task.sleep(for: .milliseconds(200))  // the last acknowledgement's round trip
            let afterSingles = proxy.byteCounts
            // Batched: a burst, which the half packs into few frames.
            let start = ContinuousClock.now
            try await rig.produce(singles..<Self.readings)
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings)
            let elapsed = ContinuousClock.now - start
            try await Task.sleep(for: .milliseconds(200))
            let afterBurst = proxy.byteCounts
            let burst = Self.readings - singles

            let single = Double(afterSingles.up - before.up + afterSingles.down - before.down) / Double(singles)
            let batched = Double(afterBurst.up - afterSingles.up + afterBurst.down - afterSingles.down) / Double(burst)
            print(
                "link bytes on the wire (A↔ComSat, both directions) per 32-byte reading: single \(single), batched \(batched);"
                    + " burst of \(burst) in \(elapsed)")
            #expect(batched < single)

            try await rig.fixture.savePersistence()
            let stored = try rig.fixture.persistenceBytes()
            #expect(!stored.containsRun(Reading.marker), "ComSat persistence holds a plaintext reading")
            let captured = proxy.capturedBytes
            #expect(captured.count > Self.readings * 32)
            #expect(!captured.containsRun(Reading.marker), "plaintext reading seen on the ComSat connection")

            #expect(await rig.terminate(.a) == 0)
            #expect(await rig.terminate(.b) == 0)
        }
    }

    @Test func survivesAComSatKillAndRestartMidStream() async throws {
        try await LinkRig.run(comsatTLS: true) { rig in
            let producer = rig.producer
            async let production: Void = LinkRig.produce(0..<Self.readings, with: producer)
            try await waitUntil("a quarter of the readings", timeout: .seconds(60)) {
                rig.consumer.count >= Self.readings / 4
            }
            await rig.fixture.broker.kill()
            try await Task.sleep(for: .milliseconds(500))
            try await rig.fixture.broker.restart()
            try await production
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings)
        }
    }

    /// The receiving half's bus stops answering (SIGSTOP) for longer than the half waits for an
    /// acknowledgement, connection intact: the timed-out deliveries are neither lost nor
    /// repeated, and delivery resumes on its own once the bus answers again.
    @Test func aBusSlowerThanTheDeliveryTimeoutNeitherStallsNorRepeats() async throws {
        try await LinkRig.run { rig in
            #expect(await rig.terminate(.b) == 0)
            try rig.start(.b, extraArguments: ["--bus-timeout-ms", "500"])
            try await rig.waitForState(.b, "up")
            let producer = rig.producer
            async let production: Void = LinkRig.produce(0..<Self.readings, with: producer)
            try await waitUntil("a quarter of the readings", timeout: .seconds(60)) {
                rig.consumer.count >= Self.readings / 4
            }
            let busB = try #require(rig.busB.pid)
            kill(busB, SIGSTOP)
            do {
                try await waitUntil("edge-b's half to give up on a delivery", timeout: .seconds(30)) {
                    rig.output(.b).contains("local bus slow to acknowledge a delivery")
                }
                try await Task.sleep(for: .seconds(1))
                kill(busB, SIGCONT)
            } catch {
                kill(busB, SIGCONT)
                throw error
            }
            try await production
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings)
        }
    }

    /// The receiving half killed while it delivers: nothing is lost, nothing repeats, order
    /// holds (the bus's echoes of deliveries tell the restarted half what the bus accepted).
    @Test func survivesKill9OfTheReceivingHalfMidStream() async throws {
        try await LinkRig.run { rig in
            let producer = rig.producer
            async let production: Void = LinkRig.produce(0..<Self.readings, with: producer)
            try await waitUntil("a quarter of the readings", timeout: .seconds(60)) {
                rig.consumer.count >= Self.readings / 4
            }
            await rig.kill(.b)
            try await Task.sleep(for: .milliseconds(300))
            // While B is away the ComSat queues A's frames in B's session: they reach its
            // persistence file, sealed.
            try await rig.fixture.savePersistence()
            let stored = try rig.fixture.persistenceBytes()
            let topic = try #require(rig.assignments[.a]).publishTopic
            #expect(stored.containsRun(Array(topic.utf8)), "no frame queued for B in the ComSat's persistence")
            #expect(!stored.containsRun(Reading.marker), "ComSat persistence holds a plaintext reading")
            try rig.start(.b)
            try await production
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings)
        }
    }

    /// The sending half killed while it takes readings from its bus and forwards a backlog:
    /// every reading the bus saw acknowledged was queued durably first, and the queue resends.
    @Test func survivesKill9OfTheSendingHalfMidStream() async throws {
        try await LinkRig.run { rig in
            let producer = rig.producer
            async let production: Void = LinkRig.produce(0..<Self.readings, with: producer)
            try await waitUntil("a quarter of the readings", timeout: .seconds(60)) {
                rig.consumer.count >= Self.readings / 4
            }
            await rig.kill(.a)
            try await Task.sleep(for: .milliseconds(300))
            try rig.start(.a)
            try await production
            let report = try await rig.receivedReport(Self.readings, timeout: .seconds(15))
            #expect(report.duplicates.isEmpty, "duplicates: \(report.duplicates.prefix(20))")
            #expect(report.firstDisorder == nil, "out of order: \(String(describing: report.firstDisorder))")
            #expect(report.missing.isEmpty, "lost readings: \(report.missing.prefix(20))")
        }
    }

    /// Throughput and latency of one link, 32-byte readings, queue and encryption on:
    /// throughput from a burst, latency from a paced stream (200 readings/s), so it shows
    /// the link's delay and not the burst's backlog.
    @Test func measuresThroughputAndLatency() async throws {
        try await LinkRig.run { rig in
            let start = ContinuousClock.now
            try await rig.produce(0..<Self.readings)
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings)
            let elapsed = ContinuousClock.now - start
            let burstLatencies = rig.consumer.readings.map(\.latencyNanoseconds).sorted()

            let paced = 400
            for index in Self.readings..<(Self.readings + paced) {
                try await rig.produce(index..<(index + 1))
                try await Task.sleep(for: .milliseconds(5))
            }
            try await rig.expectReceivedExactlyOnceInOrder(Self.readings + paced)
            let pacedLatencies = rig.consumer.readings.suffix(paced).map(\.latencyNanoseconds).sorted()

            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            func percentile(_ values: [UInt64], _ p: Double) -> String {
                let value = Double(values[min(values.count - 1, Int(Double(values.count) * p))]) / 1e6
                return String(format: "%.2f ms", value)
            }
            print(
                "link throughput: \(Int(Double(Self.readings) / seconds)) readings/s (burst of \(Self.readings));"
                    + " latency paced 200/s: p50 \(percentile(pacedLatencies, 0.5)), p99 \(percentile(pacedLatencies, 0.99));"
                    + " latency in the burst: p50 \(percentile(burstLatencies, 0.5)), p99 \(percentile(burstLatencies, 0.99))")
        }
    }
}

/// `fog-link wipe` after a stop: the half's directory keeps only the agent's assignment, and
/// the local bus keeps neither the half's session (with its echo subscription) nor anything
/// retained on its marker topic.
@Suite struct LinkWipeTests {
    @Test func wipeLeavesNothingOfTheHalfOnTheBusOrInItsDirectory() async throws {
        try await LinkRig.run { rig in
            try await rig.produce(0..<50)
            try await rig.expectReceivedExactlyOnceInOrder(50)
            #expect(await rig.terminate(.b) == 0)
            let marker = "fog-link/\(rig.linkID)/b/delivered"
            let before = try await Self.savedPersistence(of: rig.busB)
            #expect(before.containsRun(Array(rig.linkID.description.utf8)), "the half's bus session is not persisted")

            let result = try await ChildProcess.run(
                TestPaths.builtProduct("fog-link"),
                ["wipe", "--dir", rig.halfDirectory(.b), "--bus-host", rig.busB.host, "--bus-port", "\(rig.busB.port)"],
                timeout: .seconds(30))
            #expect(result.status == 0, "\(result.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: rig.halfDirectory(.b)) == ["assignment"])
            #expect(try await Self.retainedPayload(on: marker, bus: rig.busB) == nil)
            let saved = try await Self.savedPersistence(of: rig.busB)
            #expect(!saved.containsRun(Array(rig.linkID.description.utf8)), "the bus still holds the link's id")
        }
    }

    /// The retained message on `topic`, if any: the bus sends it right after SUBACK, before a
    /// probe published afterwards.
    static func retainedPayload(on topic: String, bus: MosquittoBroker) async throws -> [UInt8]? {
        let client = MQTTClient(
            configuration: MQTTConfiguration(host: bus.host, port: bus.port, clientID: "marker-check"),
            logger: LinkRig.logger)
        let probe: [UInt8] = Array("probe".utf8)
        do {
            try await client.connect()
            try await client.subscribe(topic, qos: .atLeastOnce)
            try await client.publish(topic: topic, payload: probe, qos: .atLeastOnce)
        } catch {
            await client.disconnect()
            throw error
        }
        var retained: [UInt8]?
        for await message in client.messages {
            if message.payload == probe { break }
            if message.retain { retained = message.payload }
        }
        await client.disconnect()
        return retained
    }

    /// Makes the bus save its persistence now (SIGUSR1) and returns the file.
    static func savedPersistence(of bus: MosquittoBroker) async throws -> [UInt8] {
        let path = bus.dataDirectory + "mosquitto.db"
        func modified() -> Int? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return Int(info.st_ino)
        }
        let before = modified()
        kill(try #require(bus.pid), SIGUSR1)
        try await waitUntil("bus to save \(path)", timeout: .seconds(10)) { modified().map { $0 != before } ?? false }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
