import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Testing

/// Issue 5's proof with real processes (see `FabricRig`): a producer on edge-a, a consumer on
/// edge-b, one link through one ComSat. Every test asserts that edge-b received every reading
/// exactly once and in order. The long runs (10,000 readings, a 30 s outage) need
/// `FOG_LONG_TESTS=1`.
@Suite(.serialized) struct FabricEndToEndTests {
    static let longTests = ProcessInfo.processInfo.environment["FOG_LONG_TESTS"] == "1"

    private static func log(_ text: String) {
        FileHandle.standardError.write(Data("e2e: \(text)\n".utf8))
    }

    /// Readings cross the fabric exactly once; nothing listens off loopback; neither the
    /// ComSat's persistence nor its socket holds a reading's plaintext; `route rm` leaves no
    /// byte of the link in either agent's state and its credentials stop working.
    @Test func readingsArriveExactlyOnceWithoutPlaintextAndLeaveNoTrace() async throws {
        let count = 2_000
        try await FabricRig.run(count: count, rate: 1_000) { rig in
            let clock = ContinuousClock()
            let started = clock.now
            rig.startReadings()

            // Mid-stream, edge-b's half stops reading, so the ComSat holds frames for it; its
            // saved persistence must then hold sealed frames only.
            try await rig.waitForReceived(atLeast: count / 4)
            let halfB = try #require(rig.halfPID(.b))
            kill(halfB, SIGSTOP)
            let persistence: [UInt8]
            do {
                try await Task.sleep(for: .milliseconds(1_500))
                persistence = try await rig.savedComSatPersistence()
                kill(halfB, SIGCONT)
            } catch {
                kill(halfB, SIGCONT)
                throw error
            }
            try await rig.expectExactlyOnceInOrder(count: count, timeout: .seconds(60))
            Self.log("\(count) readings end to end in \(clock.now - started) (1.5 s of it with edge-b's half stopped)")

            let subscribeB = Array(try rig.assignment(.b).subscribeTopic.utf8)
            let topicCopies = Self.occurrences(of: subscribeB, in: persistence)
            #expect(topicCopies > 1, "the saved persistence must hold queued frames for edge-b (topic seen \(topicCopies)×)")
            #expect(!persistence.containsRun(Array(rig.marker.utf8)), "the ComSat's persistence holds plaintext")
            let tap = try #require(rig.tap)
            #expect(tap.saw(subscribeB), "the tap must see the data plane's MQTT traffic")
            #expect(!tap.saw(Array(rig.marker.utf8)), "the ComSat's socket carried plaintext")
            Self.log("ComSat persistence \(persistence.count) bytes (\(topicCopies) copies of edge-b's topic), wire \(tap.capturedBytes.count) bytes: no marker")

            let agentPIDs = rig.agents.map(\.process.pid)
            try await waitUntil("both local buses visible listening in /proc/net", timeout: .seconds(10)) {
                ListeningSockets.of(processes: agentPIDs).count >= 2
            }
            let sockets = ListeningSockets.of(processes: agentPIDs)
            let loopbackOnly = sockets.allSatisfy { $0.isLoopback }
            #expect(loopbackOnly, "\(sockets)")

            try await rig.removeRoutesAndAudit(auditPaths: rig.agents.map(\.state))
        }
    }

    /// `kill -9` of the ComSat and a restart mid-stream, then the ComSat unreachable for 5 s
    /// (30 s with `FOG_LONG_TESTS=1`) while edge-a keeps producing.
    @Test func readingsSurviveAComSatCrashAndOutage() async throws {
        try await Self.comsatFaults(count: 2_000, rate: 250, outage: .seconds(5))
    }

    @Test(.enabled(if: longTests, "FOG_LONG_TESTS=1"))
    func tenThousandReadingsSurviveAComSatCrashAndA30SecondOutage() async throws {
        try await Self.comsatFaults(count: 10_000, rate: 200, outage: .seconds(30))
    }

    @Test(.enabled(if: longTests, "FOG_LONG_TESTS=1"))
    func tenThousandReadingsArriveExactlyOnce() async throws {
        let count = 10_000
        try await FabricRig.run(count: count, rate: 2_000) { rig in
            let clock = ContinuousClock()
            let started = clock.now
            rig.startReadings()
            try await rig.expectExactlyOnceInOrder(count: count, timeout: .seconds(120))
            Self.log("\(count) readings end to end in \(clock.now - started)")
        }
    }

    /// `kill -9` of edge-a's half, later of edge-b's, each restarted by its agent.
    @Test func readingsSurviveAKillOfEitherHalf() async throws {
        try await Self.halfCrashes(count: 2_000, rate: 250)
    }

    @Test(.enabled(if: longTests, "FOG_LONG_TESTS=1"))
    func tenThousandReadingsSurviveKillsOfEitherHalf() async throws {
        try await Self.halfCrashes(count: 10_000, rate: 500)
    }

    private static func comsatFaults(count: Int, rate: Int, outage: Duration) async throws {
        try await FabricRig.run(count: count, rate: rate) { rig in
            let clock = ContinuousClock()
            let started = clock.now
            rig.startReadings()
            try await rig.waitForReceived(atLeast: count / 5)
            try await rig.crashComSat()
            log("ComSat killed (-9) and restarted at \(rig.received().count) received")
            // The outage starts halfway through production, so edge-a produces through it.
            try await waitUntil("edge-a produced half", timeout: .seconds(120), poll: .milliseconds(20)) {
                rig.produced() >= count / 2
            }
            let tap = try #require(rig.tap)
            let before = rig.produced()
            tap.setReachable(false)
            try await Task.sleep(for: outage)
            tap.setReachable(true)
            let during = rig.produced() - before
            log("ComSat unreachable for \(outage); edge-a produced \(during) meanwhile")
            #expect(during > 0, "edge-a must keep producing during the outage")
            try await rig.expectExactlyOnceInOrder(count: count, timeout: .seconds(180))
            log("\(count) readings end to end in \(clock.now - started) across a ComSat crash and a \(outage) outage")
        }
    }

    /// Known gaps (ROUND2.md 1 and 2, being closed by helper mqtt-sync): a killed sending half
    /// may lose messages the bus already acknowledged, a killed receiving half may deliver one
    /// twice.
    private static func halfCrashes(count: Int, rate: Int) async throws {
        try await FabricRig.run(count: count, rate: rate) { rig in
            let clock = ContinuousClock()
            let started = clock.now
            rig.startReadings()
            try await rig.waitForReceived(atLeast: count / 4)
            try await rig.crashHalf(.a)
            log("edge-a's fog-link killed (-9) at \(rig.received().count) received")
            try await rig.waitForReceived(atLeast: count * 5 / 8, timeout: .seconds(120))
            try await rig.crashHalf(.b)
            log("edge-b's fog-link killed (-9) at \(rig.received().count) received")
            try await rig.expectExactlyOnceInOrder(count: count, timeout: .seconds(120), settle: .seconds(2))
            log("\(count) readings across two half crashes in \(clock.now - started): \(rig.received().count) deliveries")
        }
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard !needle.isEmpty, needle.count <= haystack.count else { return 0 }
        return (0...(haystack.count - needle.count)).reduce(0) { total, start in
            haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) ? total + 1 : total
        }
    }
}
