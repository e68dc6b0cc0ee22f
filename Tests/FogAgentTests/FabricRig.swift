import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import GRDB
import Testing

/// The whole fabric as real processes, operated the way an operator would: `fog-controller
/// run`, one ComSat (Mosquitto + `libcomsat.so`) enrolled and pinned with `fogctl comsat`,
/// two agents provisioned with `fogctl agent add` + `fog-agent provision`, each running
/// `fog-agent run` (local bus, microservices, `fog-link` halves) from its own state dir, a
/// producer on edge-a routed to a consumer on edge-b with `fogctl ms deploy` and `fogctl
/// route add`.
///
/// The control plane (controller, provisioning, the agents' sessions) uses the ComSat's TLS
/// listener. The data plane (the link halves) is placed on a second, plain listener on
/// 127.0.0.1 behind a capturing `TCPRelay`: TLS would hide a leak from a scan of the socket, and the
/// tap lets a test search exactly the bytes the ComSat receives and sends, and cut the
/// ComSat off. (Enrolling the ComSat's data-plane address without a CA is what makes the
/// controller hand the halves that address.)
final class FabricRig {
    struct Agent {
        var name: String
        var state: String
        var process: ChildProcess
        var logPath: String
    }

    let controller: ControllerProcess
    let broker: MosquittoBroker
    let tap: TCPRelay
    let root: String
    private(set) var agents: [Agent] = []
    /// In every reading's payload, so the plaintext searches have something to find.
    let marker = "FOGPLAIN" + OpaqueID().description.uppercased()
    let receivedPath: String
    let progressPath: String
    let gatePath: String
    let readyPath: String
    private(set) var linkID: OpaqueID?

    private init(controller: ControllerProcess, broker: MosquittoBroker, tap: TCPRelay) {
        self.controller = controller
        self.broker = broker
        self.tap = tap
        root = controller.directory.path
        receivedPath = root + "/received.jsonl"
        progressPath = root + "/produced"
        gatePath = root + "/go"
        readyPath = root + "/consumer-ready"
    }

    var edgeA: Agent { agents[0] }
    var edgeB: Agent { agents[1] }

    static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(output.utf8))
    }

    /// Builds the fabric with `count` readings at `rate` per second waiting behind the gate,
    /// runs `body`, then stops the agents (SIGTERM, then SIGKILL of anything left), the
    /// ComSat and the controller and deletes every file, on failure too.
    static func run(count: Int, rate: Int, _ body: (FabricRig) async throws -> Void) async throws {
        try await ControllerProcess.run { controller in
            let root = controller.directory.path
            let tls = try TestCertificateAuthority().writeServerFiles(to: root)
            let pluginDirectory = root + "/comsat"
            try FileManager.default.createDirectory(atPath: pluginDirectory, withIntermediateDirectories: false)
            let added = try await controller.fogctl([
                "comsat", "add", "comsat-1", "--url", "mqtts://127.0.0.1:8883", "--ca", tls.caFile, "--grant-store",
                pluginDirectory + "/grants.journal", "--identity-key", pluginDirectory + "/identity.key", "--json",
            ])
            try #require(added.status == 0, "\(added.output)")
            let enrolment = try decode(ComSatEnrolmentResult.self, added.output)
            let dataPort = try FreePort.next()
            var configuration = BrokerConfiguration.comsat(
                pluginOptions: enrolment.pluginOptions.map { ($0.name, $0.value) }, tls: tls)
            configuration.extraLines.append("listener \(dataPort) 127.0.0.1")
            try await withMosquitto(configuration) { broker in
                let tap = try TCPRelay(targetPort: dataPort, capturesTraffic: true)
                defer { tap.close() }
                let rig = FabricRig(controller: controller, broker: broker, tap: tap)
                do {
                    try await rig.setUp(tls: tls, pluginDirectory: pluginDirectory, count: count, rate: rate)
                    try await body(rig)
                } catch {
                    await rig.stopAgents()
                    rig.printAgentLogs()
                    throw error
                }
                await rig.stopAgents()
            }
        }
    }

    private func setUp(tls: TLSFiles, pluginDirectory: String, count: Int, rate: Int) async throws {
        try await setComSatAddress(url: "mqtts://127.0.0.1:\(broker.port)", caFile: tls.caFile)
        let pinned = try await controller.fogctl(["comsat", "pin", "comsat-1", "--key-file", pluginDirectory + "/identity.key.pub"])
        try #require(pinned.status == 0, "\(pinned.output)")
        try await waitUntil("the controller to connect to the ComSat", timeout: .seconds(30), poll: .milliseconds(200)) {
            let listed = try await controller.fogctl(["comsat", "ls", "--json"])
            guard listed.status == 0 else { return false }
            return try Self.decode(ComSatList.self, listed.output).comsats.contains { $0.connected }
        }

        for name in ["edge-a", "edge-b"] {
            let added = try await controller.fogctl(["agent", "add", name, "--json"])
            try #require(added.status == 0, "\(added.output)")
            let token = try Self.decode(AgentProvisioningResult.self, added.output).token
            let state = root + "/" + name
            let provisioned = try await ChildProcess.run(
                TestPaths.builtProduct("fog-agent"),
                ["provision", "--key", token, "--comsat", "mqtts://127.0.0.1:\(broker.port)", "--ca", tls.caFile, "--state", state],
                timeout: .seconds(60))
            try #require(provisioned.status == 0, "\(provisioned.output)")
        }
        // From here on, links are placed on the data-plane listener behind the tap.
        try await setComSatAddress(url: "mqtt://127.0.0.1:\(tap.port)", caFile: nil)

        for name in ["edge-a", "edge-b"] {
            let logPath = root + "/" + name + ".log"
            let process = try ChildProcess.spawn(
                TestPaths.builtProduct("fog-agent"),
                ["run", "--state", root + "/" + name, "--bus-template", TestPaths.brokerConfig("local-bus.conf")],
                outputFile: logPath)
            agents.append(Agent(name: name, state: root + "/" + name, process: process, logPath: logPath))
        }

        let scripts = try FabricMicroservices.write(to: root)
        let producerConfig = try Self.json([
            "count": count, "rate": rate, "marker": marker, "gate": gatePath, "progress": progressPath,
        ])
        let consumerConfig = try Self.json(["out": receivedPath, "ready": readyPath])
        for (agent, name, script, config) in [
            ("edge-a", "sensor", scripts.producer, producerConfig), ("edge-b", "sink", scripts.consumer, consumerConfig),
        ] {
            let deployed = try await controller.fogctl([
                "ms", "deploy", agent, name, "--exec", FabricMicroservices.python, "--arg", script, "--config", config,
            ])
            try #require(deployed.status == 0, "\(deployed.output)")
        }
        let routed = try await controller.fogctl(["route", "add", "edge-a/sensor", "edge-b/sink", "--json"])
        try #require(routed.status == 0, "\(routed.output)")
        let linkID = try #require(OpaqueID(try Self.decode(RouteAddResult.self, routed.output).link.id))
        self.linkID = linkID
        try await waitUntil("both halves up and the consumer subscribed", timeout: .seconds(60), poll: .milliseconds(200)) {
            guard FileManager.default.fileExists(atPath: readyPath) else { return false }
            let listed = try await controller.fogctl(["link", "ls", "--json"])
            guard listed.status == 0, let link = try Self.decode(LinkList.self, listed.output).links.first else { return false }
            return link.state == "up" && link.halves.count == 2 && link.halves.allSatisfy { $0.reportedState == "up" }
        }
    }

    private static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Points the enrolled ComSat at `url` (the harness picks ports after enrolment, as an
    /// operator would enrol the public address). Only the two columns change, so the running
    /// controller's own updates of the row (health, digest) are kept.
    private func setComSatAddress(url: String, caFile: String?) async throws {
        let home = try ControllerHome.open(at: controller.homePath)
        let database = try ControllerDatabase.open(path: home.databasePath, logger: ControllerFixtures.logger)
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE comsat SET url = ?, caFile = ? WHERE name = ?", arguments: [url, caFile, "comsat-1"])
            guard db.changesCount == 1 else { throw TestSupportError(.commandFailed, "ComSat comsat-1 is not enrolled") }
        }
    }

    /// Opens the gate: the producer starts publishing.
    func startReadings() {
        FileManager.default.createFile(atPath: gatePath, contents: Data())
    }

    /// Sequence numbers the consumer received, in arrival order (complete lines only).
    func received() -> [Int] {
        guard let data = FileManager.default.contents(atPath: receivedPath) else { return [] }
        var result: [Int] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let seq = object["seq"] as? Int
            else { continue }
            result.append(seq)
        }
        return result
    }

    /// How many readings the producer's bus acknowledged (updated every 100 published).
    var produced: Int {
        (try? String(contentsOfFile: progressPath, encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// Waits until the consumer received `count` distinct readings and, for `settle`, nothing
    /// more arrives; then checks all came exactly once, in order.
    func expectExactlyOnceInOrder(count: Int, timeout: Duration, settle: Duration = .seconds(1)) async throws {
        try await waitUntil("\(count) readings at edge-b", timeout: timeout, poll: .milliseconds(100)) {
            Set(received()).count >= count
        }
        try await Task.sleep(for: settle)
        let got = received()
        let expected = Array(1...count)
        if got != expected {
            var seen = Set<Int>()
            let duplicates = got.filter { !seen.insert($0).inserted }
            let missing = Set(expected).subtracting(got).sorted()
            let outOfOrder = zip(got, got.dropFirst()).filter { $0.1 <= $0.0 }.count
            let summary =
                "edge-b received \(got.count) readings for \(count) sent: \(duplicates.count) duplicates "
                + "(first \(Array(duplicates.prefix(10)))), \(missing.count) missing (first \(Array(missing.prefix(10)))), "
                + "\(outOfOrder) out of order"
            Issue.record(Comment(rawValue: summary))
            printAgentLogs()
        }
    }

    /// The current `fog-link run` process of a half on its agent.
    func halfPID(_ side: Grant.LinkSide) -> Int32? {
        let agent = side == .a ? edgeA : edgeB
        let suffix = "-" + (side == .a ? "a" : "b")
        for pid in ListeningSockets.descendants(of: [agent.process.pid]) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.count > 3, arguments[0].hasSuffix("fog-link"), arguments[1] == "run",
                let dir = arguments.firstIndex(of: "--dir").map({ arguments[$0 + 1] }), dir.hasSuffix(suffix),
                !AgentTestKit.hasEnded(pid)
            else { continue }
            return pid
        }
        return nil
    }

    /// HALF_DIR of a side.
    func halfDirectory(_ side: Grant.LinkSide) throws -> String {
        let linkID = try #require(linkID)
        return (side == .a ? edgeA : edgeB).state + "/links/\(linkID)-\(side == .a ? "a" : "b")"
    }

    func assignment(_ side: Grant.LinkSide) throws -> LinkHalfAssignment {
        let path = try halfDirectory(side) + "/assignment"
        return try LinkHalfAssignment(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func halfSecret(_ side: Grant.LinkSide) throws -> String {
        try String(contentsOfFile: try halfDirectory(side) + "/mqtt.secret", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until the consumer got at least `count` readings.
    func waitForReceived(atLeast count: Int, timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("\(count) readings at edge-b", timeout: timeout, poll: .milliseconds(20)) {
            received().count >= count
        }
    }

    /// `kill -9` of the ComSat, then a restart on the same port and data directory.
    func crashComSat() async throws {
        await broker.kill()
        try await broker.restart()
    }

    /// `kill -9` of one half's fog-link; the agent restarts it.
    func crashHalf(_ side: Grant.LinkSide) async throws {
        let pid = try #require(halfPID(side), "no fog-link runs for side \(side)")
        kill(pid, SIGKILL)
        try await waitUntil("fog-link side \(side) restarted", timeout: .seconds(30), poll: .milliseconds(50)) {
            halfPID(side).map { $0 != pid } ?? false
        }
    }

    /// Stops both agents: SIGTERM, then SIGKILL of anything of theirs still alive.
    func stopAgents() async {
        let family = ListeningSockets.descendants(of: agents.map(\.process.pid))
        for agent in agents {
            agent.process.terminate()
        }
        for agent in agents where await agent.process.waitForExit(timeout: .seconds(30)) == nil {
            agent.process.kill()
            _ = await agent.process.waitForExit(timeout: .seconds(5))
        }
        for pid in family where !AgentTestKit.hasEnded(pid) {
            kill(pid, SIGKILL)
        }
    }

    /// Each agent's log, its link halves' and its microservices' logs, tails only.
    func printAgentLogs() {
        for agent in agents {
            var logs = [(agent.name, agent.logPath)]
            for folder in ["/links", "/microservices"] {
                let directory = agent.state + folder
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
                where name.hasSuffix(".log") {
                    logs.append(("\(agent.name) \(name)", directory + "/" + name))
                }
            }
            for (title, path) in logs {
                let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                FileHandle.standardError.write(Data("\(title) log (tail):\n\(log.suffix(8_000))\n".utf8))
            }
        }
    }

    /// `tools/trace-audit` over `paths`, as an operator runs it; exit 0 means clean.
    func traceAudit(needles: [String], paths: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(
            // `--needle=VALUE`: a base64url secret may start with '-', which argparse would
            // take for an option in `--needle VALUE`.
            TestPaths.packageRoot + "/tools/trace-audit", needles.map { "--needle=\($0)" } + paths,
            timeout: .seconds(120))
    }

    /// Connects to the ComSat's data plane with these credentials; nil when accepted.
    func comsatRefusal(clientID: String, username: String, password: String) async -> MQTTError.Code? {
        let client = MQTTClient(
            configuration: MQTTConfiguration(
                host: "127.0.0.1", port: tap.port, clientID: clientID, username: username, password: password,
                connectTimeout: .seconds(5), operationTimeout: .seconds(5)),
            logger: AgentTestKit.logger)
        do {
            _ = try await client.connect()
            await client.disconnect()
            return nil
        } catch {
            await client.disconnect()
            return error.code
        }
    }
}
