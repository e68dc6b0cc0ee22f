import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// `fogctl ms|route|link|agent rm` as built binaries against a real `fog-controller run`.
/// The agent rows are written into the controller's database from here (SQLite in WAL mode
/// takes a second process), since provisioning one needs a ComSat.
@Suite struct FogctlLinkTests {
    private static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(output.utf8))
    }

    @Test func microservicesRoutesLinksAndRemovalWithHints() async throws {
        try await ControllerProcess.run { controller in
            func expectFailure(_ arguments: [String], _ texts: [String]) async throws {
                let result = try await controller.fogctl(arguments)
                #expect(result.status != 0, "\(arguments) succeeded: \(result.output)")
                for text in texts {
                    #expect(result.output.contains(text), "\(arguments): \(result.output)")
                }
            }
            try await expectFailure(["ms", "deploy", "nosuch", "temp", "--exec", "/usr/bin/temp"], [
                "no agent is named 'nosuch'", "hint: list agents with `fogctl agent ls`",
            ])

            let home = try ControllerHome.open(at: controller.homePath)
            let database = try ControllerDatabase.open(path: home.databasePath, logger: ControllerFixtures.logger)
            let comsat = ControllerFixtures.comsat(name: "edge")
            try await database.insertComSat(comsat)
            let (agent, _) = ControllerFixtures.agent(name: "edge-a", home: comsat.id)
            try await database.insertAgent(agent)

            let deployed = try await controller.fogctl([
                "ms", "deploy", "edge-a", "temp", "--exec", "/usr/bin/temp", "--arg", "-v", "--arg", "--fast", "--env", "MODE=x=1",
                "--config", #"{"rate": 5}"#, "--json",
            ])
            #expect(deployed.status == 0, "\(deployed.output)")
            let summary = try Self.decode(MicroserviceSummary.self, deployed.output)
            #expect(summary.agent == "edge-a" && summary.name == "temp" && summary.arguments == ["-v", "--fast"])
            #expect(summary.environment == ["MODE": "x=1"] && summary.configuration == #"{"rate": 5}"#)
            // The deploy command is durable in the agent's outbox (sealed, so not readable here).
            let outbox = try await database.pendingCommands(agentID: agent.id)
            #expect(outbox.count == 1)

            let sink = try await controller.fogctl(["ms", "deploy", "edge-a", "sink", "--exec", "/usr/bin/sink"])
            #expect(sink.status == 0, "\(sink.output)")
            #expect(sink.output.hasPrefix("AGENT") && sink.output.contains("sink"))
            let listed = try await controller.fogctl(["ms", "ls", "edge-a", "--json"])
            #expect(try Self.decode(MicroserviceList.self, listed.output).microservices.map(\.name) == ["sink", "temp"])
            let table = try await controller.fogctl(["ms", "ls"])
            #expect(table.output.split(separator: "\n").count == 3, "\(table.output)")

            try await expectFailure(["ms", "deploy", "edge-a", "bad", "--exec", "/x", "--config", "not json"], ["not JSON"])
            try await expectFailure(["ms", "deploy", "edge-a", "bad name", "--exec", "/x"], ["must be 1...64 characters"])
            try await expectFailure(["route", "add", "edge-a/temp", "edge-a/nosuch"], [
                "agent 'edge-a' has no microservice 'nosuch'", "hint: list microservices with `fogctl ms ls AGENT`",
            ])
            try await expectFailure(["route", "add", "edge-b/temp", "edge-a/sink"], ["no agent is named 'edge-b'"])
            try await expectFailure(["route", "add", "edge-a/temp", "edge-a/sink"], [
                "none of the 1 enrolled ComSats is healthy", "hint:", "fogctl comsat ls",
            ])
            try await expectFailure(["route", "add", "edge-a", "edge-a/sink"], ["is not AGENT/MICROSERVICE"])
            try await expectFailure(["route", "rm", "edge-a/temp", "edge-a/sink"], [
                "no route edge-a/temp -> edge-a/sink", "hint: list routes with `fogctl route ls`",
            ])
            try await expectFailure(["link", "rm", "zzz"], ["'zzz' is not a link id", "hint: list links with `fogctl link ls`"])
            try await expectFailure(["link", "rm", OpaqueID().description], ["no link has id", "fogctl link ls"])

            let links = try await controller.fogctl(["link", "ls"])
            #expect(links.status == 0 && links.output == "ID  COMSAT  STATE  ROUTES  HALF A  HALF B\n", "\(links.output)")
            let routes = try await controller.fogctl(["route", "ls", "--json"])
            #expect(try Self.decode(RouteList.self, routes.output).routes.isEmpty)

            let wrong = controller.directory.path + "/wrong.token"
            try Data("not-the-token\n".utf8).write(to: URL(fileURLWithPath: wrong))
            let refused = try await controller.fogctl(["link", "ls"], tokenFile: wrong)
            #expect(refused.status == 1 && refused.output.contains("the controller refused the admin token"))

            let removed = try await controller.fogctl(["ms", "rm", "edge-a", "temp"])
            #expect(removed.status == 0 && removed.output.contains("removed microservice edge-a/temp"), "\(removed.output)")
            try await expectFailure(["ms", "rm", "edge-a", "temp"], ["has no microservice 'temp'"])
            let agentRemoved = try await controller.fogctl(["agent", "rm", "edge-a", "--json"])
            #expect(agentRemoved.status == 0, "\(agentRemoved.output)")
            // The agent's ComSat has no session in this process, so revocation is left to
            // its next synchronisation, and said so.
            let result = try Self.decode(LinkDecommission.self, agentRemoved.output)
            #expect(result.removed == "agent edge-a" && !result.warnings.isEmpty)
            #expect(try await database.agent(id: agent.id) == nil)
            try await expectFailure(["agent", "rm", "edge-a"], ["no agent is named 'edge-a'", "fogctl agent ls"])
        }
    }
}
