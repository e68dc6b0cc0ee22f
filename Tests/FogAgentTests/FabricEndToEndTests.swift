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
                persistence = try await Self.savedPersistence(rig)
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
            #expect(rig.tap.saw(subscribeB), "the tap must see the data plane's MQTT traffic")
            #expect(!rig.tap.saw(Array(rig.marker.utf8)), "the ComSat's socket carried plaintext")
            Self.log("ComSat persistence \(persistence.count) bytes (\(topicCopies) copies of edge-b's topic), wire \(rig.tap.capturedBytes.count) bytes: no marker")

            let sockets = try ListeningSockets.of(processes: rig.agents.map(\.process.pid))
            #expect(sockets.count >= 2, "both local buses must be found listening: \(sockets)")
            let loopbackOnly = sockets.allSatisfy { $0.isLoopback }
            #expect(loopbackOnly, "\(sockets)")

            try await Self.removeRouteAndAudit(rig)
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
                rig.produced >= count / 2
            }
            let before = rig.produced
            rig.tap.setReachable(false)
            try await Task.sleep(for: outage)
            rig.tap.setReachable(true)
            let during = rig.produced - before
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

    /// Makes the ComSat save its session database (SIGUSR1) and returns the new file.
    private static func savedPersistence(_ rig: FabricRig) async throws -> [UInt8] {
        let path = rig.broker.dataDirectory + "mosquitto.db"
        func inode() -> UInt64? {
            var info = stat()
            return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
        }
        let before = inode()
        kill(try #require(rig.broker.pid), SIGUSR1)
        try await waitUntil("the ComSat to save \(path)", timeout: .seconds(10)) { inode().map { $0 != before } ?? false }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard !needle.isEmpty, needle.count <= haystack.count else { return 0 }
        return (0...(haystack.count - needle.count)).reduce(0) { total, start in
            haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) ? total + 1 : total
        }
    }

    /// `fogctl route rm`, then: both halves wiped, `tools/trace-audit` finds nothing of the
    /// link in either state dir (with the agents running and again after they stopped and their
    /// buses saved), and the ComSat refuses both halves' old credentials.
    private static func removeRouteAndAudit(_ rig: FabricRig) async throws {
        var needles = [try #require(rig.linkID).description]
        var credentials: [(clientID: String, username: String, password: String)] = []
        for side in [Grant.LinkSide.a, .b] {
            let assignment = try rig.assignment(side)
            let secret = try rig.halfSecret(side)
            needles += [
                assignment.publishTopic, assignment.subscribeTopic, assignment.preSharedKey.text, secret,
                assignment.username, assignment.clientID,
            ]
            credentials.append((assignment.clientID, assignment.username, secret))
        }
        // The halves' random bus users, from the agents' own user tables.
        for agent in rig.agents {
            let users = try String(contentsOfFile: agent.state + "/bus/users.json", encoding: .utf8)
            for match in users.matches(of: /"username":"(h\.[a-z2-7]{26})"/) {
                needles.append(String(match.output.1))
            }
        }
        #expect(needles.count == 15, "link id, 6 values per half, 2 bus users: \(needles.count)")
        let clean = try await rig.traceAudit(needles: needles, paths: rig.agents.map(\.state))
        #expect(clean.status == 1, "before removal the audit must find the link: \(clean.output)")

        let removed = try await rig.controller.fogctl(["route", "rm", "edge-a/sensor", "edge-b/sink"])
        try #require(removed.status == 0, "\(removed.output)")
        let directories = try [rig.halfDirectory(.a), rig.halfDirectory(.b)]
        try await waitUntil("both halves wiped", timeout: .seconds(60), poll: .milliseconds(100)) {
            !directories.contains { FileManager.default.fileExists(atPath: $0) }
        }
        let links = try await rig.controller.fogctl(["link", "ls", "--json"])
        #expect(try FabricRig.decode(LinkList.self, links.output).links.isEmpty, "\(links.output)")

        let running = try await rig.traceAudit(needles: needles, paths: rig.agents.map(\.state))
        #expect(running.status == 0, "with the agents running: \(running.output)")
        for credential in credentials {
            let refusal = await rig.comsatRefusal(
                clientID: credential.clientID, username: credential.username, password: credential.password)
            #expect(
                refusal == .notAuthorized || refusal == .connectionRefused,
                "old half credentials: \(refusal.map { "\($0)" } ?? "accepted")")
        }
        await rig.stopAgents()
        let stopped = try await rig.traceAudit(needles: needles, paths: rig.agents.map(\.state))
        #expect(stopped.status == 0, "after the agents stopped: \(stopped.output)")
    }
}
