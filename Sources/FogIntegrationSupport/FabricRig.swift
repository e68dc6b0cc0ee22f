import FogController
public import FogCore
import FogMQTT
public import FogTestSupport
import Foundation
import GRDB
import Testing

/// The whole fabric as real processes, operated the way an operator would: `fog-controller
/// run`, one ComSat (Mosquitto + `libcomsat.so`) enrolled and pinned with `fogctl comsat`,
/// two agents provisioned with `fogctl agent add` + `fog-agent provision`, each running
/// `fog-agent run` (local bus, microservices, `fog-link` halves) from its own state dir, a
/// producer on one edge routed to a consumer on the other with `fogctl ms deploy` and
/// `fogctl route add` (one route per `Flow`; both flows share the agents' one link).
///
/// Where the pieces run is a `Placement`: all on this host's loopback, or each in its site
/// of a `SiteLab` (controller and ComSat in the cloud, an agent behind each edge's NAT).
/// The control plane (controller, provisioning, the agents' sessions) uses the ComSat's TLS
/// listener. The data plane (the link halves) is placed on a second path: on loopback, a
/// plain listener behind a capturing `TCPRelay` (TLS would hide a leak from a scan of the
/// socket; the tap also cuts the ComSat off); in the lab, a `DelayRelay` in front of the TLS
/// listener, which adds the delay the kernel's missing netem cannot. (Enrolling the data
/// plane's address after provisioning is what makes the controller hand it to the halves.)
public final class FabricRig {
    public struct Agent: Sendable {
        public var name: String
        public var state: String
        public var process: ChildProcess
        public var logPath: String
        public var launcher: ProcessLauncher
    }

    /// Where each component runs.
    public struct Placement: Sendable {
        /// Controller, ComSat and its data-plane relay.
        public var cloud: ProcessLauncher
        /// edge-a's and edge-b's agents.
        public var edges: [ProcessLauncher]
        /// The address the ComSat listens on and everyone dials.
        public var comsatHost: String
        public var dataPlane: DataPlane

        /// Everything on this host's loopback, the data plane behind a capturing tap.
        public static let loopback = Placement(
            cloud: .direct, edges: [.direct, .direct], comsatHost: "127.0.0.1", dataPlane: .tap)

        /// Controller and ComSat in the lab's cloud, one agent in each edge site.
        public static func sites(_ lab: SiteLab) -> Placement {
            Placement(
                cloud: lab.launcher(.cloud), edges: [lab.launcher(.edgeA), lab.launcher(.edgeB)],
                comsatHost: SiteLab.cloudAddress, dataPlane: .delayRelay)
        }
    }

    public enum DataPlane: Sendable {
        /// A plain loopback listener behind a capturing `TCPRelay` (loopback placement only).
        case tap
        /// The TLS listener behind a `DelayRelay` running in the cloud.
        case delayRelay
    }

    /// A producer on one agent routed to a consumer on the other.
    public enum Flow: Sendable, CaseIterable, CustomStringConvertible {
        case aToB, bToA

        /// `agent/microservice` of the producer and of the consumer, as `fogctl route` takes them.
        public var route: (from: String, to: String) {
            switch self {
            case .aToB: ("edge-a/sensor", "edge-b/sink")
            case .bToA: ("edge-b/sensor-b", "edge-a/sink-a")
            }
        }

        var fileSuffix: String { self == .aToB ? "" : "-b-to-a" }

        public var description: String { self == .aToB ? "edge-a → edge-b" : "edge-b → edge-a" }
    }

    public let controller: ControllerProcess
    public let broker: MosquittoBroker
    public let placement: Placement
    /// The loopback data plane's tap; nil in a site lab.
    public let tap: TCPRelay?
    /// The site lab's data-plane relay; nil on loopback.
    public let delayRelay: DelayRelay?
    public let root: String
    public let tls: TLSFiles
    /// The ComSat's grant store and identity key.
    public let pluginDirectory: String
    public let flows: [Flow]
    public private(set) var agents: [Agent] = []
    /// In every reading's payload, so the plaintext searches have something to find.
    public let marker = "FOGPLAIN" + OpaqueID().description.uppercased()
    private let gatePath: String
    public private(set) var linkID: OpaqueID?

    private init(
        controller: ControllerProcess, broker: MosquittoBroker, placement: Placement, tap: TCPRelay?,
        delayRelay: DelayRelay?, tls: TLSFiles, pluginDirectory: String, flows: [Flow]
    ) {
        self.controller = controller
        self.broker = broker
        self.placement = placement
        self.tap = tap
        self.delayRelay = delayRelay
        self.tls = tls
        self.pluginDirectory = pluginDirectory
        self.flows = flows
        root = controller.directory.path
        gatePath = root + "/go"
    }

    public var edgeA: Agent { agents[0] }
    public var edgeB: Agent { agents[1] }

    /// Where the halves reach the ComSat.
    public var dataPlaneAddress: (host: String, port: UInt16, caFile: String?) {
        if let tap {
            return ("127.0.0.1", tap.port, nil)
        }
        return (placement.comsatHost, delayRelay?.listenPort ?? broker.port, tls.caFile)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(output.utf8))
    }

    /// Builds the fabric with `count` readings per flow at `rate` per second waiting behind
    /// the gate (pausing after each reading in `holdAt` until `releaseHold` opens its gate),
    /// runs `body`, then stops the agents (SIGTERM, then SIGKILL of anything left), the ComSat
    /// and the controller and deletes every file, on failure too.
    public static func run(
        count: Int, rate: Int, holdAt: [Int] = [], placement: Placement = .loopback, flows: [Flow] = [.aToB],
        _ body: (FabricRig) async throws -> Void
    ) async throws {
        try await ControllerProcess.run(launcher: placement.cloud) { controller in
            let root = controller.directory.path
            let tls = try TestCertificateAuthority().writeServerFiles(
                to: root, hosts: Array(Set(["127.0.0.1", "localhost", placement.comsatHost])).sorted())
            let pluginDirectory = root + "/comsat"
            try FileManager.default.createDirectory(atPath: pluginDirectory, withIntermediateDirectories: false)
            let added = try await controller.fogctl([
                "comsat", "add", "comsat-1", "--url", "mqtts://\(placement.comsatHost):8883", "--ca", tls.caFile,
                "--grant-store", pluginDirectory + "/grants.journal", "--identity-key", pluginDirectory + "/identity.key",
                "--json",
            ])
            try #require(added.status == 0, "\(added.output)")
            let enrolment = try decode(ComSatEnrolmentResult.self, added.output)
            var configuration = BrokerConfiguration.comsat(
                pluginOptions: enrolment.pluginOptions.map { ($0.name, $0.value) }, tls: tls)
            configuration.bindAddress = placement.comsatHost
            configuration.launcher = placement.cloud
            // In the lab the ComSat runs as deployed, logging no client ids (the audit reads its log).
            configuration.connectionMessages = placement.cloud.isDirect
            var dataPort: UInt16?
            if case .tap = placement.dataPlane {
                let port = try FreePort.next()
                configuration.extraLines.append("listener \(port) 127.0.0.1")
                dataPort = port
            }
            try await withMosquitto(configuration) { broker in
                let tap = try dataPort.map { try TCPRelay(targetPort: $0, capturesTraffic: true) }
                defer { tap?.close() }
                var delayRelay: DelayRelay?
                if case .delayRelay = placement.dataPlane {
                    delayRelay = try await DelayRelay.start(
                        launcher: placement.cloud, listenHost: placement.comsatHost, listenPort: try FreePort.next(),
                        targetHost: placement.comsatHost, targetPort: broker.port, directory: root)
                }
                let rig = FabricRig(
                    controller: controller, broker: broker, placement: placement, tap: tap, delayRelay: delayRelay,
                    tls: tls, pluginDirectory: pluginDirectory, flows: flows)
                do {
                    try await rig.setUp(count: count, rate: rate, holdAt: holdAt)
                    try await body(rig)
                } catch {
                    await rig.stopAgents()
                    await delayRelay?.stop()
                    rig.printAgentLogs()
                    throw error
                }
                await rig.stopAgents()
                await delayRelay?.stop()
            }
        }
    }

    private func setUp(count: Int, rate: Int, holdAt: [Int]) async throws {
        let host = placement.comsatHost
        try await setComSatAddress(url: "mqtts://\(host):\(broker.port)", caFile: tls.caFile)
        let pinned = try await controller.fogctl(["comsat", "pin", "comsat-1", "--key-file", pluginDirectory + "/identity.key.pub"])
        try #require(pinned.status == 0, "\(pinned.output)")
        try await waitUntil("the controller to connect to the ComSat", timeout: .seconds(30), poll: .milliseconds(200)) {
            let listed = try await controller.fogctl(["comsat", "ls", "--json"])
            guard listed.status == 0 else { return false }
            return try Self.decode(ComSatList.self, listed.output).comsats.contains { $0.connected }
        }

        for (name, launcher) in zip(["edge-a", "edge-b"], placement.edges) {
            let added = try await controller.fogctl(["agent", "add", name, "--json"])
            try #require(added.status == 0, "\(added.output)")
            let token = try Self.decode(AgentProvisioningResult.self, added.output).token
            let provisioned = try await launcher.run(
                TestPaths.builtProduct("fog-agent"),
                ["provision", "--key", token, "--comsat", "mqtts://\(host):\(broker.port)", "--ca", tls.caFile, "--state", root + "/" + name],
                timeout: .seconds(60))
            try #require(provisioned.status == 0, "\(provisioned.output)")
        }
        // From here on, links are placed on the data-plane address.
        let data = dataPlaneAddress
        try await setComSatAddress(url: "\(data.caFile == nil ? "mqtt" : "mqtts")://\(data.host):\(data.port)", caFile: data.caFile)

        for (name, launcher) in zip(["edge-a", "edge-b"], placement.edges) {
            let logPath = root + "/" + name + ".log"
            let process = try launcher.spawn(
                TestPaths.builtProduct("fog-agent"),
                // Verbose: the halves' debug lines (refused frames, acknowledgements) are what
                // explains a failure, and the logs are printed only then.
                ["run", "--state", root + "/" + name, "--bus-template", TestPaths.brokerConfig("local-bus.conf"), "--verbose"],
                outputFile: logPath)
            agents.append(Agent(name: name, state: root + "/" + name, process: process, logPath: logPath, launcher: launcher))
        }

        let scripts = try FabricMicroservices.write(to: root)
        for flow in flows {
            let producerConfig = try Self.json([
                "count": count, "rate": rate, "marker": marker, "gate": gatePath, "progress": progressPath(flow),
                "holdAt": holdAt,
            ])
            let consumerConfig = try Self.json(["out": receivedPath(flow), "ready": readyPath(flow)])
            for (endpoint, script, config) in [
                (flow.route.from, scripts.producer, producerConfig), (flow.route.to, scripts.consumer, consumerConfig),
            ] {
                let parts = endpoint.split(separator: "/").map(String.init)
                let deployed = try await controller.fogctl([
                    "ms", "deploy", parts[0], parts[1], "--exec", FabricMicroservices.python, "--arg", script, "--config", config,
                ])
                try #require(deployed.status == 0, "\(deployed.output)")
            }
            let routed = try await controller.fogctl(["route", "add", flow.route.from, flow.route.to, "--json"])
            try #require(routed.status == 0, "\(routed.output)")
            let linkID = try #require(OpaqueID(try Self.decode(RouteAddResult.self, routed.output).link.id))
            try #require(self.linkID == nil || self.linkID == linkID, "both flows must share the agents' one link")
            self.linkID = linkID
        }
        try await waitUntil("both halves up and every consumer subscribed", timeout: .seconds(60), poll: .milliseconds(200)) {
            guard flows.allSatisfy({ FileManager.default.fileExists(atPath: readyPath($0)) }) else { return false }
            let listed = try await controller.fogctl(["link", "ls", "--json"])
            guard listed.status == 0, let link = try Self.decode(LinkList.self, listed.output).links.first else { return false }
            return link.state == "up" && link.halves.count == 2 && link.halves.allSatisfy { $0.reportedState == "up" }
        }
    }

    private func receivedPath(_ flow: Flow) -> String { root + "/received\(flow.fileSuffix).jsonl" }
    private func progressPath(_ flow: Flow) -> String { root + "/produced\(flow.fileSuffix)" }
    private func readyPath(_ flow: Flow) -> String { root + "/consumer-ready\(flow.fileSuffix)" }

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

    /// Opens the gate: every producer starts publishing.
    public func startReadings() {
        _ = FileManager.default.createFile(atPath: gatePath, contents: Data())
    }

    /// Opens the gate of the `number`-th hold (1-based): the producers continue.
    public func releaseHold(_ number: Int) {
        _ = FileManager.default.createFile(atPath: gatePath + ".\(number)", contents: Data())
    }

    /// Sequence numbers a flow's consumer received, in arrival order (complete lines only).
    public func received(_ flow: Flow = .aToB) -> [Int] {
        guard let data = FileManager.default.contents(atPath: receivedPath(flow)) else { return [] }
        var result: [Int] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let seq = object["seq"] as? Int
            else { continue }
            result.append(seq)
        }
        return result
    }

    /// How many readings a flow's producer had acknowledged by its bus (updated every 100).
    public func produced(_ flow: Flow = .aToB) -> Int {
        (try? String(contentsOfFile: progressPath(flow), encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// Waits until a flow's consumer received `count` distinct readings and, for `settle`,
    /// nothing more arrives; then checks all came exactly once, in order.
    public func expectExactlyOnceInOrder(
        count: Int, flow: Flow = .aToB, timeout: Duration, settle: Duration = .seconds(1)
    ) async throws {
        try await waitUntil("\(count) readings \(flow)", timeout: timeout, poll: .milliseconds(100)) {
            Set(received(flow)).count >= count
        }
        try await Task.sleep(for: settle)
        let got = received(flow)
        let expected = Array(1...count)
        if got != expected {
            var seen = Set<Int>()
            let duplicates = got.filter { !seen.insert($0).inserted }
            let missing = Set(expected).subtracting(got).sorted()
            let outOfOrder = zip(got, got.dropFirst()).filter { $0.1 <= $0.0 }.count
            let summary =
                "\(flow): received \(got.count) readings for \(count) sent: \(duplicates.count) duplicates "
                + "(first \(Array(duplicates.prefix(10)))), \(missing.count) missing (first \(Array(missing.prefix(10)))), "
                + "\(outOfOrder) out of order"
            Issue.record(Comment(rawValue: summary))
            printAgentLogs()
        }
    }

    /// The current `fog-link run` process of a half on its agent.
    public func halfPID(_ side: Grant.LinkSide) -> Int32? {
        let agent = side == .a ? edgeA : edgeB
        let suffix = "-" + (side == .a ? "a" : "b")
        for pid in ProcessTree.descendants(of: [agent.process.pid]) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.count > 3, arguments[0].hasSuffix("fog-link"), arguments[1] == "run",
                let dir = arguments.firstIndex(of: "--dir").map({ arguments[$0 + 1] }), dir.hasSuffix(suffix),
                !ProcessTree.hasEnded(pid)
            else { continue }
            return pid
        }
        return nil
    }

    /// HALF_DIR of a side.
    public func halfDirectory(_ side: Grant.LinkSide) throws -> String {
        let linkID = try #require(linkID)
        return (side == .a ? edgeA : edgeB).state + "/links/\(linkID)-\(side == .a ? "a" : "b")"
    }

    public func assignment(_ side: Grant.LinkSide) throws -> LinkHalfAssignment {
        let path = try halfDirectory(side) + "/assignment"
        return try LinkHalfAssignment(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    public func halfSecret(_ side: Grant.LinkSide) throws -> String {
        try String(contentsOfFile: try halfDirectory(side) + "/mqtt.secret", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until a flow's consumer got at least `count` readings.
    public func waitForReceived(atLeast count: Int, flow: Flow = .aToB, timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("\(count) readings \(flow)", timeout: timeout, poll: .milliseconds(20)) {
            received(flow).count >= count
        }
    }

    /// `kill -9` of the ComSat, then a restart on the same port and data directory.
    public func crashComSat() async throws {
        await broker.kill()
        try await broker.restart()
    }

    /// `kill -9` of one half's fog-link; the agent restarts it.
    public func crashHalf(_ side: Grant.LinkSide) async throws {
        let pid = try #require(halfPID(side), "no fog-link runs for side \(side)")
        kill(pid, SIGKILL)
        try await waitUntil("fog-link side \(side) restarted", timeout: .seconds(30), poll: .milliseconds(50)) {
            halfPID(side).map { $0 != pid } ?? false
        }
    }

    /// Makes the ComSat save its session database now (SIGUSR1) and returns the new file.
    public func savedComSatPersistence() async throws -> [UInt8] {
        let path = broker.dataDirectory + "mosquitto.db"
        func inode() -> UInt64? {
            var info = stat()
            return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
        }
        let before = inode()
        kill(try #require(broker.pid), SIGUSR1)
        try await waitUntil("the ComSat to save \(path)", timeout: .seconds(10)) { inode().map { $0 != before } ?? false }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Stops both agents: SIGTERM, then SIGKILL of anything of theirs still alive.
    public func stopAgents() async {
        let family = ProcessTree.descendants(of: agents.map(\.process.pid))
        for agent in agents {
            agent.process.terminate()
        }
        for agent in agents where await agent.process.waitForExit(timeout: .seconds(30)) == nil {
            agent.process.kill()
            _ = await agent.process.waitForExit(timeout: .seconds(5))
        }
        for pid in family where !ProcessTree.hasEnded(pid) {
            kill(pid, SIGKILL)
        }
    }

    /// Each agent's log, its link halves' and its microservices' logs, tails only.
    public func printAgentLogs() {
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
    public func traceAudit(needles: [String], paths: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(
            // `--needle=VALUE`: a base64url secret may start with '-', which argparse would
            // take for an option in `--needle VALUE`.
            TestPaths.packageRoot + "/tools/trace-audit", needles.map { "--needle=\($0)" } + paths,
            timeout: .seconds(120))
    }

    /// Connects to the ComSat's data plane from edge-a's site with these credentials
    /// (`mosquitto_pub`, as anyone holding them could); nil when accepted, otherwise what
    /// the client reported.
    public func comsatRefusal(clientID: String, username: String, password: String) async throws -> String? {
        let data = dataPlaneAddress
        var arguments = [
            "-h", data.host, "-p", String(data.port), "-i", clientID, "-u", username, "-P", password, "-q", "1",
            "-t", "fog/refusal-probe", "-m", "x",
        ]
        if let caFile = data.caFile {
            arguments += ["--cafile", caFile]
        }
        let result = try await placement.edges[0].run("mosquitto_pub", arguments, timeout: .seconds(20))
        return result.status == 0 ? nil : result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Everything of the link an audit must not find after decommission: its id; per half the
    /// topics, PSK, MQTT secret and its hash, username and client id; the halves' bus users.
    public func linkNeedles() throws -> (needles: [String], credentials: [(clientID: String, username: String, password: String)]) {
        var needles = [try #require(linkID).description]
        var credentials: [(clientID: String, username: String, password: String)] = []
        for side in [Grant.LinkSide.a, .b] {
            let assignment = try assignment(side)
            let secret = try halfSecret(side)
            needles += [
                assignment.publishTopic, assignment.subscribeTopic, assignment.preSharedKey.text, secret,
                SecretHash(of: Array(secret.utf8)).description, assignment.username, assignment.clientID,
            ]
            credentials.append((assignment.clientID, assignment.username, secret))
        }
        // The halves' random bus users, from the agents' own user tables.
        for agent in agents {
            let users = try String(contentsOfFile: agent.state + "/bus/users.json", encoding: .utf8)
            for match in users.matches(of: /"username":"(h\.[a-z2-7]{26})"/) {
                needles.append(String(match.output.1))
            }
        }
        return (needles, credentials)
    }

    /// Removes every flow's route, then: both halves wiped, `tools/trace-audit` finds nothing
    /// of the link in `auditPaths` (with the agents running and again after they stopped and
    /// their buses saved), and the ComSat refuses both halves' old credentials. The audit runs
    /// once before the removal too, and must find the link then (a positive control). With
    /// `savingComSat`, the ComSat saves its persistence file before each audit, so the audit
    /// reads what it holds at that moment rather than its last autosave.
    public func removeRoutesAndAudit(auditPaths: [String], savingComSat: Bool = false) async throws {
        let (needles, credentials) = try linkNeedles()
        #expect(needles.count == 17, "link id, 7 values per half, 2 bus users: \(needles.count)")
        func audit() async throws -> (status: Int32, output: String) {
            if savingComSat {
                _ = try await savedComSatPersistence()
            }
            return try await traceAudit(needles: needles, paths: auditPaths)
        }
        let before = try await audit()
        #expect(before.status == 1, "before removal the audit must find the link: \(before.output)")

        for flow in flows {
            let removed = try await controller.fogctl(["route", "rm", flow.route.from, flow.route.to])
            try #require(removed.status == 0, "\(removed.output)")
        }
        let directories = try [halfDirectory(.a), halfDirectory(.b)]
        try await waitUntil("both halves wiped", timeout: .seconds(60), poll: .milliseconds(100)) {
            !directories.contains { FileManager.default.fileExists(atPath: $0) }
        }
        let links = try await controller.fogctl(["link", "ls", "--json"])
        #expect(try Self.decode(LinkList.self, links.output).links.isEmpty, "\(links.output)")

        let running = try await audit()
        #expect(running.status == 0, "with the agents running: \(running.output)")
        for credential in credentials {
            let refusal = try await comsatRefusal(
                clientID: credential.clientID, username: credential.username, password: credential.password)
            #expect(
                refusal?.lowercased().contains("not author") == true,
                "old half credentials: \(refusal ?? "accepted")")
        }
        await stopAgents()
        let stopped = try await audit()
        #expect(stopped.status == 0, "after the agents stopped: \(stopped.output)")
    }
}
