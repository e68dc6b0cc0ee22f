import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A real link: a ComSat with the plugin (grants installed for both halves' generated
/// secrets), a local Mosquitto per side, and two `fog-link` child processes. Side A carries
/// channel 1 from `ms/sensor/out` on its bus; side B delivers it to `ms/consumer/in` on its.
///
/// Optionally side A reaches the ComSat through a byte-counting `TCPRelay`, which records
/// everything on that connection (for the plaintext search and the bytes-per-reading numbers).
final class LinkRig {
    static let producerTopic = "ms/sensor/out"
    static let consumerTopic = "ms/consumer/in"
    static let logger = Logger(label: "fogfabric.link.test")

    let fixture: ComSatFixture
    let busA: MosquittoBroker
    let busB: MosquittoBroker
    let directory: TemporaryDirectory
    let linkID: OpaqueID
    let assignments: [Grant.LinkSide: LinkHalfAssignment]
    let proxy: TCPRelay?
    private var processes: [Grant.LinkSide: ChildProcess] = [:]
    let producer: MQTTClient
    let consumer: Consumer

    private init(
        fixture: ComSatFixture, busA: MosquittoBroker, busB: MosquittoBroker, directory: TemporaryDirectory,
        proxy: TCPRelay?
    ) throws {
        self.fixture = fixture
        self.busA = busA
        self.busB = busB
        self.directory = directory
        self.proxy = proxy
        let linkID = OpaqueID()
        self.linkID = linkID
        let topicAB = ComSatTopic.topic(.linkDirection, OpaqueID())
        let topicBA = ComSatTopic.topic(.linkDirection, OpaqueID())
        let key = Secret()
        let scheme = fixture.tls == nil ? "mqtt" : "mqtts"
        let pem = try fixture.tls.map { try String(contentsOfFile: $0.caFile, encoding: .utf8) }
        let comsatPort = fixture.broker.port
        func assignment(_ side: Grant.LinkSide) -> LinkHalfAssignment {
            let name = OpaqueID().description
            let port = side == .a ? (proxy?.port ?? comsatPort) : comsatPort
            return LinkHalfAssignment(
                linkID: linkID, side: side, comsatURL: "\(scheme)://127.0.0.1:\(port)", certificateAuthorityPEM: pem,
                publishTopic: side == .a ? topicAB : topicBA, subscribeTopic: side == .a ? topicBA : topicAB,
                username: name, clientID: "h-" + name, preSharedKey: key,
                routes: [
                    side == .a
                        ? LinkRoute(channel: 1, direction: .outbound, localTopic: Self.producerTopic)
                        : LinkRoute(channel: 1, direction: .inbound, localTopic: Self.consumerTopic)
                ])
        }
        assignments = [.a: assignment(.a), .b: assignment(.b)]
        producer = MQTTClient(
            configuration: MQTTConfiguration(host: busA.host, port: busA.port, clientID: "producer"), logger: Self.logger)
        consumer = Consumer(bus: busB)
    }

    /// Builds the rig, brings the link up and runs `body`; every process and file is gone
    /// afterwards, whether `body` returned or threw.
    static func run(
        comsatTLS: Bool = false, proxyOnA: Bool = false, _ body: (LinkRig) async throws -> Void
    ) async throws {
        try await ComSatFixture.run(tls: comsatTLS) { fixture in
            // As the agent's local-bus.conf: persistence, and room for a half's queued messages
            // while it restarts. Without TCP_NODELAY the broker's back-to-back PUBACKs wait for
            // delayed ACKs (40 ms stalls).
            let bus = BrokerConfiguration(persistence: true, extraLines: ["max_queued_messages 10000", "set_tcp_nodelay true"])
            try await withMosquitto(bus) { busA in
                try await withMosquitto(bus) { busB in
                    let directory = try TemporaryDirectory(prefix: "fog-link")
                    defer { directory.remove() }
                    let proxy = proxyOnA
                        ? try TCPRelay(targetPort: fixture.broker.port, capturesTraffic: true)
                        : nil
                    defer { proxy?.close() }
                    let rig = try LinkRig(fixture: fixture, busA: busA, busB: busB, directory: directory, proxy: proxy)
                    do {
                        try await rig.setUp()
                        try await body(rig)
                        await rig.tearDown()
                    } catch {
                        for side in [Grant.LinkSide.a, .b] {
                            print("--- fog-link \(side) output ---\n\(rig.output(side).suffix(6_000))")
                        }
                        await rig.tearDown()
                        throw error
                    }
                }
            }
        }
    }

    private func setUp() async throws {
        for side in [Grant.LinkSide.a, .b] {
            let half = halfDirectory(side)
            #expect(mkdir(half, 0o700) == 0)
            let bytes = try #require(assignments[side]).encoded()
            #expect(FileManager.default.createFile(atPath: half + "/assignment", contents: Data(bytes), attributes: [.posixPermissions: 0o600]))
        }
        try await consumer.start()
        try await producer.connect()
        try start(.a)
        try start(.b)
        var grants: [Grant] = []
        for side in [Grant.LinkSide.a, .b] {
            let assignment = try #require(assignments[side])
            let hash = try await secretHash(side)
            grants.append(
                .linkHalf(
                    linkID: linkID, side: side, username: assignment.username, clientID: assignment.clientID,
                    secretHash: hash, publishTopic: assignment.publishTopic, subscribeTopic: assignment.subscribeTopic))
        }
        try await fixture.withSession { session in
            try await GrantSync(store: fixture.database, logger: Self.logger).install(grants, on: session)
        }
        try await waitForState(.a, "up")
        try await waitForState(.b, "up")
    }

    private func tearDown() async {
        for process in processes.values {
            process.terminate()
        }
        for process in processes.values where await process.waitForExit(timeout: .seconds(10)) == nil {
            process.kill()
            _ = await process.waitForExit(timeout: .seconds(5))
        }
        processes = [:]
        await producer.disconnect()
        await consumer.stop()
    }

    func halfDirectory(_ side: Grant.LinkSide) -> String {
        directory.path + (side == .a ? "/half-a" : "/half-b")
    }

    func logPath(_ side: Grant.LinkSide) -> String {
        directory.path + (side == .a ? "/a.log" : "/b.log")
    }

    func start(_ side: Grant.LinkSide, extraArguments: [String] = []) throws {
        let bus = side == .a ? busA : busB
        processes[side] = try ChildProcess.spawn(
            TestPaths.builtProduct("fog-link"),
            ["run", "--dir", halfDirectory(side), "--bus-host", bus.host, "--bus-port", "\(bus.port)"] + extraArguments,
            outputFile: logPath(side))
    }

    /// SIGKILL, like a power cut of the process (the OS keeps written files).
    func kill(_ side: Grant.LinkSide) async {
        guard let process = processes.removeValue(forKey: side) else { return }
        process.kill()
        _ = await process.waitForExit(timeout: .seconds(5))
    }

    /// SIGTERM; returns the exit status.
    func terminate(_ side: Grant.LinkSide) async -> Int32? {
        guard let process = processes.removeValue(forKey: side) else { return nil }
        process.terminate()
        return await process.waitForExit(timeout: .seconds(15))
    }

    func output(_ side: Grant.LinkSide) -> String {
        (try? String(contentsOfFile: logPath(side), encoding: .utf8)) ?? ""
    }

    /// The last `state` line the half printed (the log holds every run of it).
    func lastState(_ side: Grant.LinkSide) -> String? {
        output(side).split(separator: "\n").last { $0.hasPrefix("state ") }.map { String($0.dropFirst(6)) }
    }

    func waitForState(_ side: Grant.LinkSide, _ state: String) async throws {
        try await waitUntil("fog-link \(side) state \(state)", timeout: .seconds(30)) {
            lastState(side) == state
        }
    }

    func secretHash(_ side: Grant.LinkSide) async throws -> SecretHash {
        var hash: SecretHash?
        try await waitUntil("fog-link \(side) secret-hash line", timeout: .seconds(20)) {
            let line = output(side).split(separator: "\n").first { $0.hasPrefix("secret-hash ") }
            hash = try line.map { try SecretHash(hex: $0.dropFirst("secret-hash ".count)) }
            return hash != nil
        }
        return try #require(hash)
    }

    /// Publishes readings `range` on A's bus, one after the other (QoS 1).
    func produce(_ range: Range<Int>) async throws {
        try await Self.produce(range, with: producer)
    }

    static func produce(_ range: Range<Int>, with producer: MQTTClient) async throws {
        for index in range {
            try await producer.publish(topic: producerTopic, payload: Reading.bytes(index), qos: .atLeastOnce)
        }
    }

    /// Waits until B's consumer holds `count` readings, then checks they are 0..<count,
    /// each once, in order.
    func expectReceivedExactlyOnceInOrder(_ count: Int, timeout: Duration = .seconds(90)) async throws {
        let report = try await receivedReport(count, timeout: timeout)
        #expect(report.missing.isEmpty, "lost readings: \(report.missing.prefix(20))")
        #expect(report.duplicates.isEmpty, "duplicated readings: \(report.duplicates.prefix(20))")
        #expect(report.firstDisorder == nil, "first out-of-order reading: \(String(describing: report.firstDisorder))")
    }

    struct ReceivedReport {
        var missing: [Int]
        var duplicates: [Int]
        /// Position and index of the first reading below one received before it (duplicates aside).
        var firstDisorder: (position: Int, index: Int)?
    }

    /// Waits until every index of 0..<count arrived (or the timeout passed), lets stragglers
    /// arrive, and summarises what the consumer got.
    func receivedReport(_ count: Int, timeout: Duration = .seconds(90)) async throws -> ReceivedReport {
        do {
            try await waitUntil("consumer to receive \(count) readings", timeout: timeout) {
                Set(consumer.readings.map(\.index)).count >= count
            }
        } catch {
            // Reported below as missing readings.
        }
        // Anything extra (a duplicate) would arrive right behind.
        try await Task.sleep(for: .milliseconds(300))
        let indices = consumer.readings.map(\.index)
        var seen = Set<Int>()
        var duplicates: [Int] = []
        var highest = -1
        var firstDisorder: (position: Int, index: Int)?
        for (position, index) in indices.enumerated() {
            guard seen.insert(index).inserted else {
                duplicates.append(index)
                continue
            }
            if index < highest && firstDisorder == nil {
                firstDisorder = (position, index)
            }
            highest = max(highest, index)
        }
        let missing = (0..<count).filter { !seen.contains($0) }
        return ReceivedReport(missing: missing, duplicates: duplicates, firstDisorder: firstDisorder)
    }
}

/// A 32-byte reading: a plaintext marker, its index and its send time.
enum Reading {
    static let marker = Array("FOGPLAINMARK".utf8)

    static func bytes(_ index: Int) -> [UInt8] {
        let sent = UInt64(clock_gettime_nsec_np())
        var bytes = marker
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: UInt32(index) >> (24 - 8 * $0)) }
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: sent >> (56 - 8 * $0)) }
        bytes += Array("........".utf8)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> (index: Int, sent: UInt64)? {
        guard bytes.count == 32, Array(bytes[0..<12]) == marker else { return nil }
        let index = bytes[12..<16].reduce(0) { $0 << 8 | Int($1) }
        let sent = bytes[16..<24].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (index, sent)
    }

    /// Monotonic nanoseconds, comparable across processes on this machine.
    static func clock_gettime_nsec_np() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// Subscribes `ms/consumer/in` on B's bus and records every reading with its latency.
final class Consumer: Sendable {
    struct Received: Sendable {
        var index: Int
        var latencyNanoseconds: UInt64
    }

    let client: MQTTClient
    private let received = Mutex<[Received]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(bus: MosquittoBroker) {
        client = MQTTClient(
            configuration: MQTTConfiguration(host: bus.host, port: bus.port, clientID: "consumer"),
            logger: LinkRig.logger)
    }

    func start() async throws {
        try await client.connect()
        try await client.subscribe(LinkRig.consumerTopic, qos: .atLeastOnce)
        let client = self.client
        task.withLock {
            $0 = Task {
                for await message in client.messages {
                    let now = Reading.clock_gettime_nsec_np()
                    guard let reading = Reading.decode(message.payload) else { continue }
                    self.received.withLock {
                        $0.append(Received(index: reading.index, latencyNanoseconds: now &- reading.sent))
                    }
                }
            }
        }
    }

    func stop() async {
        await client.disconnect()
        let running = task.withLock { $0 }
        await running?.value
    }

    var count: Int { received.withLock { $0.count } }
    var readings: [Received] { received.withLock { $0 } }
}
