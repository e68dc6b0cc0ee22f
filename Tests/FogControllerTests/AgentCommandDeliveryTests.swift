import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import GRDB
import Testing

/// The command channel end to end: the controller's `AgentCommandDispatcher` and a real
/// `AgentSession`, through a real Mosquitto with the ComSat plugin.
@Suite struct AgentCommandDeliveryTests {
    static let configuration = AgentCommandConfiguration(retryInterval: .milliseconds(200), presenceTimeout: .seconds(60))

    @Test(.timeLimit(.minutes(1)))
    func commandToAnOfflineAgentIsAppliedExactlyOnceAfterItConnects() async throws {
        try await CommandChannelRig.run(tls: true, configuration: Self.configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let spec = MicroserviceSpec(name: "sensor", executablePath: "/usr/bin/true")
            #expect(try await rig.dispatcher.send(.deployMicroservice(spec), to: state.agentID) == 1)
            #expect(try await rig.outbox(state.agentID).count == 1)
            // Retries while the agent is away reach no one; the command stays queued.
            try await waitUntil("a retry", timeout: .seconds(10)) { await rig.dispatcher.counters.retried >= 1 }
            #expect(try await rig.outbox(state.agentID).count == 1)

            let applier = RecordingApplier()
            try await rig.withAgent("edge-1", applier: applier) { agent in
                try await waitUntil("the command acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
                // Commands are applied strictly in order, so once a later command is
                // acknowledged, no late copy of the first can still be on its way.
                #expect(try await rig.dispatcher.send(.ping, to: state.agentID) == 2)
                try await waitUntil("the second command acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
                #expect(applier.applied == [.deployMicroservice(spec), .ping])
                #expect(await agent.session.lastAppliedSequence == 2)
                try await waitUntil("a status", timeout: .seconds(10)) {
                    await rig.dispatcher.status(of: state.agentID) != nil
                }
                #expect(try await rig.presence(state.agentID) == .online)
                let agentRow = try #require(try await rig.database.agent(id: state.agentID))
                #expect(agentRow.lastAckedSequence == 2)
            }
            #expect(await rig.dispatcher.counters.acknowledged == 2)
            #expect(await rig.dispatcher.counters.rejectedTotal == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func retriesWhileTheAgentIsBusyAreNotAppliedAgain() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let applier = RecordingApplier()
            applier.hold()
            try await rig.withAgent("edge-1", applier: applier) { agent in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                let spec = MicroserviceSpec(name: "slow", executablePath: "/usr/bin/true")
                try await rig.dispatcher.send(.deployMicroservice(spec), to: state.agentID)
                try await waitUntil("the agent applying", timeout: .seconds(10)) { applier.held == 1 }
                let retriedBefore = await rig.dispatcher.counters.retried
                try await waitUntil("two retries while applying", timeout: .seconds(10)) {
                    await rig.dispatcher.counters.retried >= retriedBefore + 2
                }
                applier.release()
                try await waitUntil("the command acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
                try await rig.dispatcher.send(.ping, to: state.agentID)
                try await waitUntil("the ping acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
                #expect(applier.applied == [.deployMicroservice(spec), .ping])
                let counters = await agent.session.counters
                #expect(counters.duplicates >= 2)
                #expect(counters.applied == 2)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func queuedCommandsArriveInOrderAndNoPreSharedKeyIsStored() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let key = Secret()
            let assignment = LinkHalfAssignment(
                linkID: OpaqueID(), side: .a, comsatURL: rig.fixture.comsat.url, publishTopic: "l/\(OpaqueID())",
                subscribeTopic: "l/\(OpaqueID())", username: "h-\(OpaqueID())", clientID: "h-\(OpaqueID())",
                preSharedKey: key, routes: [LinkRoute(channel: 1, direction: .outbound, localTopic: "ms/a/out")])
            let commands: [AgentCommand] = [
                .deployMicroservice(MicroserviceSpec(name: "a", executablePath: "/usr/bin/true")),
                .assignLinkHalf(assignment),
                .deployMicroservice(MicroserviceSpec(name: "b", executablePath: "/nonexistent")),
                .removeMicroservice(name: "a"),
                .ping,
            ]
            for command in commands {
                try await rig.dispatcher.send(command, to: state.agentID)
            }
            #expect(try await rig.outbox(state.agentID).map(\.sequence) == [1, 2, 3, 4, 5])
            // The pending link assignment is in the database, but its key is not readable there.
            let pending = rig.databaseBytes()
            #expect(!pending.isEmpty)
            #expect(!pending.containsRun(key.bytes))
            #expect(!pending.containsRun(Array(key.text.utf8)))
            #expect(!pending.containsRun(Array(assignment.username.utf8)))

            let applier = RecordingApplier()
            try await rig.withAgent("edge-1", applier: applier) { _ in
                try await waitUntil("every command acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
            }
            #expect(applier.applied == commands)
            #expect(await rig.dispatcher.counters.failed == 1)
            let rows = try await rig.database.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM agentCommand") }
            #expect(rows == 0)
        }
    }
}
