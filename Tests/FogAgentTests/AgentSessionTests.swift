import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// The agent's session against the real controller dispatcher and a real ComSat.
@Suite struct AgentSessionTests {
    static let configuration = AgentCommandConfiguration(retryInterval: .milliseconds(200), presenceTimeout: .seconds(60))

    @Test(.timeLimit(.minutes(1)))
    func restartBetweenApplyingAndAcknowledgingDoesNotApplyAgain() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let sequenceFile = rig.stateDirectory("edge-1") + "/command.sequence"
            let relay = try TCPRelay(targetPort: rig.fixture.broker.port)
            defer { relay.close() }
            let spec = MicroserviceSpec(name: "sensor", executablePath: "/usr/bin/true")

            let first = RecordingApplier()
            first.hold()
            try await rig.withAgent("edge-1", applier: first, relay: relay) { _ in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                try await rig.dispatcher.send(.deployMicroservice(spec), to: state.agentID)
                try await waitUntil("the agent applying", timeout: .seconds(10)) { first.held == 1 }
                // The node loses its connection while applying; the acknowledgement it sends
                // afterwards cannot leave, and the agent stops before it reconnects.
                relay.setRefusesNew(true)
                relay.sever()
                first.release()
                try await waitUntil("the sequence persisted", timeout: .seconds(10)) {
                    fileBytes(sequenceFile) == Array("1\n".utf8)
                }
            }
            #expect(try fileMode(sequenceFile) == 0o600)
            #expect(first.applied == [.deployMicroservice(spec)])
            #expect(try await rig.outbox(state.agentID).map(\.sequence) == [1])

            // While the agent is down the controller queues another command; its delivery pass
            // republishes command 1 as well, and the ComSat keeps both in the agent's session.
            try await rig.dispatcher.send(.ping, to: state.agentID)
            try await waitUntil("both commands published", timeout: .seconds(10)) {
                await rig.dispatcher.counters.sent >= 2
            }

            // Restarted (straight to the ComSat), the agent recognises command 1 as applied.
            let second = RecordingApplier()
            try await rig.withAgent("edge-1", applier: second) { agent in
                try await waitUntil("both commands acknowledged", timeout: .seconds(10)) {
                    try await rig.outbox(state.agentID).isEmpty
                }
                #expect(second.applied == [.ping])
                #expect(await agent.session.counters.duplicates >= 1)
                #expect(await agent.session.lastAppliedSequence == 2)
            }
            #expect(fileBytes(sequenceFile) == Array("2\n".utf8))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func forgedMisdirectedAndReplayedCommandsAreRefusedNotApplied() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let a = try await rig.provisionAgent("edge-a")
            let b = try await rig.provisionAgent("edge-b")
            let home = rig.fixture.home
            let applier = RecordingApplier()
            try await rig.withAgent("edge-a", applier: applier) { agent in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(a.agentID) == .online
                }
                let session = rig.provisioning.session
                let impostor = AgentCommandSealer(
                    controllerID: home.controllerID, signingKey: SigningKey(), agentID: a.agentID,
                    agentAgreementKey: a.agreementKey.publicKey)
                let sealedToB = AgentCommandSealer(
                    controllerID: home.controllerID, signingKey: home.signingKey, agentID: a.agentID,
                    agentAgreementKey: b.agreementKey.publicKey)
                let genuine = try AgentCommandSealer(
                    controllerID: home.controllerID, signingKey: home.signingKey, agentID: a.agentID,
                    agentAgreementKey: a.agreementKey.publicKey
                ).seal(sequence: 1, command: .ping)
                try await session.publish(topic: a.commandTopic, payload: try impostor.seal(sequence: 1, command: .ping))
                try await session.publish(topic: a.commandTopic, payload: try sealedToB.seal(sequence: 1, command: .ping))
                try await session.publish(topic: a.commandTopic, payload: genuine)
                try await session.publish(topic: a.commandTopic, payload: genuine)
                try await waitUntil("three refusals", timeout: .seconds(10)) {
                    await agent.session.counters.refusedTotal >= 3
                }
                let counters = await agent.session.counters
                #expect(counters.refused[.signatureInvalid] == 1)
                #expect(counters.refused[.unsealFailed] == 1)
                #expect(counters.refused[.replayed] == 1)
                #expect(counters.applied == 1)
                #expect(applier.applied == [.ping])
            }
        }
    }
}
