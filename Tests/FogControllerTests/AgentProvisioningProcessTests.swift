import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import GRDB
import Testing

/// Agent provisioning end to end with real processes: `fog-controller run`, a Mosquitto
/// ComSat with the built plugin over TLS, `fogctl` and `fog-agent provision`.
@Suite struct AgentProvisioningProcessTests {
    private static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(output.utf8))
    }

    /// Enrols a ComSat named `name` with `fogctl comsat add`, starts its broker from the
    /// printed plugin settings, pins its key with `fogctl comsat pin` and waits until the
    /// controller reports a live session to it; the broker stops when `body` ends.
    private static func withConnectedComSat(
        _ controller: ControllerProcess, name: String, _ body: (MosquittoBroker, TLSFiles) async throws -> Void
    ) async throws {
        let root = controller.directory.path
        let tls = try TestCertificateAuthority().writeServerFiles(to: root)
        let pluginDirectory = root + "/plugin-" + name
        try FileManager.default.createDirectory(atPath: pluginDirectory, withIntermediateDirectories: false)
        let added = try await controller.fogctl([
            "comsat", "add", name, "--url", "mqtts://127.0.0.1:8883", "--ca", tls.caFile, "--grant-store",
            pluginDirectory + "/grants.journal", "--identity-key", pluginDirectory + "/identity.key", "--json",
        ])
        try #require(added.status == 0, "\(added.output)")
        let enrolment = try decode(ComSatEnrolmentResult.self, added.output)
        let options = enrolment.pluginOptions.map { ($0.name, $0.value) }
        try await withMosquitto(.comsat(pluginOptions: options, tls: tls)) { broker in
            // The broker's port is chosen when it starts, after enrolment needed the plugin
            // settings; correct the enrolled address as an operator would have enrolled it.
            let database = try ControllerDatabase.open(
                path: try ControllerHome.open(at: controller.homePath).databasePath, logger: ControllerFixtures.logger)
            var record = try #require(try await database.comsat(named: name))
            record.url = "mqtts://127.0.0.1:\(broker.port)"
            try await database.writer.write { [record] db in try record.update(db) }

            let pinned = try await controller.fogctl(["comsat", "pin", name, "--key-file", pluginDirectory + "/identity.key.pub"])
            try #require(pinned.status == 0, "\(pinned.output)")
            try await waitUntil("the controller to connect to ComSat \(name)", timeout: .seconds(30), poll: .milliseconds(250)) {
                let listed = try await controller.fogctl(["comsat", "ls", "--json"])
                guard listed.status == 0 else { return false }
                return try decode(ComSatList.self, listed.output).comsats.contains { $0.name == name && $0.connected }
            }
            try await body(broker, tls)
        }
    }

    @Test func provisionsAnAgentWithTheCommandFogctlPrintsAndOnlyOnce() async throws {
        try await ControllerProcess.run { controller in
            try await Self.withConnectedComSat(controller, name: "edge") { broker, tls in
                let unknown = try await controller.fogctl(["agent", "add", "sensor-1", "--comsat", "nosuch"])
                #expect(unknown.status == 1)
                #expect(unknown.output.contains("no ComSat is named 'nosuch'"), "\(unknown.output)")

                // The only ComSat is the default home.
                let added = try await controller.fogctl(["agent", "add", "sensor-1", "--lifetime", "5"])
                try #require(added.status == 0, "\(added.output)")
                let lines = added.output.split(separator: "\n").map(String.init)
                let token = try #require(lines.first { $0.hasPrefix(ProvisioningKey.prefix) }, "\(added.output)")
                #expect(added.output.contains("agent 'sensor-1' on ComSat 'edge'"))
                let command = try #require(lines.first { $0.hasPrefix("fog-agent provision ") }, "\(added.output)")
                #expect(
                    command == "fog-agent provision --key \(token) --comsat mqtts://127.0.0.1:\(broker.port) --ca \(tls.caFile)")
                let key = try ProvisioningKey(token: token)
                let remaining = Double(key.expiry.millisecondsSinceEpoch) / 1_000 - Date().timeIntervalSince1970
                #expect((240...300).contains(remaining), "expires in \(remaining) s")

                let agentBinary = TestPaths.builtProduct("fog-agent")
                let arguments = Array(command.split(separator: " ").dropFirst().map(String.init))
                let state = controller.directory.path + "/agent-state"
                let provisioned = try await ChildProcess.run(agentBinary, arguments + ["--state", state], timeout: .seconds(60))
                #expect(provisioned.status == 0, "\(provisioned.output)")
                let saved = try AgentState.load(from: state)
                #expect(provisioned.output.contains("provisioned as agent \(saved.agentID)"))
                #expect(saved.comsatURL == "mqtts://127.0.0.1:\(broker.port)")
                #expect(saved.controllerID == (try ControllerHome.open(at: controller.homePath)).controllerID)

                let listed = try await controller.fogctl(["agent", "ls", "--json"])
                #expect(listed.status == 0, "\(listed.output)")
                let agents = try Self.decode(AgentList.self, listed.output).agents
                #expect(agents.map { [$0.id, $0.name, $0.comsat ?? "-"] } == [[saved.agentID.description, "sensor-1", "edge"]])
                #expect(!listed.output.contains(saved.secret.hash.description))
                let table = try await controller.fogctl(["agent", "ls"])
                #expect(table.output.hasPrefix("NAME"), "\(table.output)")
                #expect(table.output.contains("sensor-1"))

                // The same key again: refused by the controller (or, after the grace period,
                // by the ComSat), with exit status 2 and nothing provisioned.
                let again = try await ChildProcess.run(
                    agentBinary, arguments + ["--state", controller.directory.path + "/agent-state-2"], timeout: .seconds(60))
                #expect(again.status == 2, "\(again.output)")
                #expect(again.output.contains("already used"), "\(again.output)")
                #expect(!again.output.contains(token))
                #expect(throws: AgentStateError.self) { try AgentState.load(from: controller.directory.path + "/agent-state-2") }
                let after = try Self.decode(AgentList.self, try await controller.fogctl(["agent", "ls", "--json"]).output)
                #expect(after.agents.count == 1)

                let json = try await controller.fogctl(["agent", "add", "sensor-2", "--comsat", "edge", "--json"])
                #expect(json.status == 0, "\(json.output)")
                let result = try Self.decode(AgentProvisioningResult.self, json.output)
                #expect(result.name == "sensor-2")
                #expect(result.comsat.name == "edge")
                #expect(try ProvisioningKey(token: result.token).id.description == result.keyID)
            }
        }
    }
}
