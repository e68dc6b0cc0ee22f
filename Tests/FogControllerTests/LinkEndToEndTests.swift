import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Synchronization
import Testing

/// `route add` through the admin API to two real agent sessions whose halves report fresh
/// secret hashes on assignment, until both grants are on the ComSat and both halves connect
/// with their own secrets and exchange data on their topics.
@Suite struct LinkEndToEndTests {
    @Test func routeAddBringsBothHalvesUpOnTheComSat() async throws {
        try await CommandChannelRig.run(configuration: LinkLifecycleTests.configuration) { rig in
            let stateA = try await rig.provisionAgent("edge-a")
            let stateB = try await rig.provisionAgent("edge-b")
            let environment = AdminAPIEnvironment(
                home: rig.fixture.home, store: rig.database, fleet: rig.provisioning.fleet, commands: rig.dispatcher,
                logger: ComSatFixture.logger)
            let links = environment.links
            await rig.dispatcher.setLinkSecretHandler { agentID, report in await links.secretReported(report, by: agentID) }
            let appliers = [LinkHalfReportingApplier(), LinkHalfReportingApplier()]
            var tasks: [Task<Void, Never>] = []
            for (name, applier) in zip(["edge-a", "edge-b"], appliers) {
                let session = AgentSession(
                    state: try AgentState.load(from: rig.stateDirectory(name)), stateDirectory: rig.stateDirectory(name),
                    configuration: CommandChannelRig.agentConfiguration, applier: applier, logger: ComSatFixture.logger)
                applier.attach(session)
                tasks.append(Task { try? await session.run() })
            }
            defer { for task in tasks { task.cancel() } }

            for (agent, name) in [("edge-a", "temp"), ("edge-b", "store")] {
                _ = try await environment.microservices.deploy(
                    agent: agent, MicroserviceSpec(name: name, executablePath: "/usr/bin/\(name)"))
            }
            let insertion = try await links.addRoute(
                from: MicroserviceAddress(agent: "edge-a", microservice: "temp"),
                to: MicroserviceAddress(agent: "edge-b", microservice: "store"))
            let link = insertion.link.id
            try await waitUntil("link up with both grants installed", timeout: .seconds(30)) {
                try await rig.database.link(id: link)?.state == .up
            }
            let listed = try await links.summaries(of: [try #require(try await rig.database.link(id: link))])
            #expect(listed.first?.halves.map(\.agent) == ["edge-a", "edge-b"])
            #expect(listed.first?.halves.allSatisfy(\.granted) == true)
            #expect(listed.first?.halves.map(\.agentID) == [stateA.agentID.description, stateB.agentID.description])
            let table = AdminTable.links(listed)
            #expect(table.contains(link.description) && table.contains("edge-a (granted)") && table.contains("edge-b (granted)"))
            #expect(table.split(separator: "\n").last?.contains(" up ") == true, "\(table)")

            let a = try #require(appliers[0].assignment(link, .a))
            let b = try #require(appliers[1].assignment(link, .b))
            let secretA = try #require(appliers[0].secret(link, .a))
            let secretB = try #require(appliers[1].secret(link, .b))
            #expect(appliers[0].assignment(link, .b) == nil && appliers[1].assignment(link, .a) == nil)
            // Both halves connect with their own secrets; A's data reaches B on the link.
            let halfA = rig.fixture.client(clientID: a.clientID, username: a.username, password: secretA.text)
            let halfB = rig.fixture.client(clientID: b.clientID, username: b.username, password: secretB.text)
            _ = try await halfA.connect()
            _ = try await halfB.connect()
            _ = try await halfB.subscribe(b.subscribeTopic, qos: .atLeastOnce)
            _ = try await halfA.subscribe(a.subscribeTopic, qos: .atLeastOnce)
            let received = Mutex<[UInt8]?>(nil)
            let reader = Task {
                for await message in halfB.messages where message.topic == b.subscribeTopic {
                    received.withLock { $0 = message.payload }
                    return
                }
            }
            defer { reader.cancel() }
            let payload = Array("sealed frame".utf8)
            try await waitUntil("A's publish relayed to B", timeout: .seconds(10), poll: .milliseconds(200)) {
                if received.withLock({ $0 }) == nil {
                    _ = try await halfA.publish(topic: a.publishTopic, payload: payload, qos: .atLeastOnce)
                }
                return received.withLock { $0 } == payload
            }
            await halfA.disconnect()
            await halfB.disconnect()
            // With its ComSat gone the link is listed down; the stored state stays up, since
            // nothing has to be redone when the ComSat returns.
            await rig.fixture.broker.stop()
            try await waitUntil("link listed down", timeout: .seconds(15)) {
                let record = try #require(try await rig.database.link(id: link))
                return try await links.summaries(of: [record]).first?.state == "down"
            }
            #expect(try await rig.database.link(id: link)?.state == .up)
            for task in tasks { task.cancel() }
            for task in tasks { await task.value }
        }
    }
}
