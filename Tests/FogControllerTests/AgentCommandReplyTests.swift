import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Synchronization
import Testing

/// Replies the controller must refuse, published on an agent's real reply topic with that
/// agent's own ComSat credentials (the plugin lets nobody else publish there).
@Suite struct AgentCommandReplyTests {
    @Test(.timeLimit(.minutes(1)))
    func forgedMisaddressedAndReplayedRepliesAreRejected() async throws {
        let configuration = AgentCommandConfiguration(retryInterval: .seconds(30), presenceTimeout: .seconds(60))
        try await CommandChannelRig.run(configuration: configuration) { rig in
            let a = try await rig.provisionAgent("edge-a")
            let b = try await rig.provisionAgent("edge-b")
            let controllerID = rig.fixture.home.controllerID
            try await rig.dispatcher.send(.ping, to: a.agentID)
            let client = rig.fixture.client(
                clientID: a.agentID.description, username: a.agentID.description, password: a.secret.text)
            try await client.connect()
            func publish(_ envelope: [UInt8]) async throws {
                try await client.publish(topic: a.replyTopic, payload: envelope, qos: .atLeastOnce)
            }
            let acknowledgement = AgentReply.acknowledgement(AgentAcknowledgement(sequence: 1, result: .applied))
            do {
                // Claims to be agent A but is signed with B's key.
                try await publish(
                    try AgentReplySealer(agentID: a.agentID, signingKey: b.signingKey, controllerID: controllerID)
                        .seal(acknowledgement))
                // B's genuine reply, on A's reply topic.
                try await publish(
                    try AgentReplySealer(agentID: b.agentID, signingKey: b.signingKey, controllerID: controllerID)
                        .seal(acknowledgement))
                // A's genuine reply, addressed to another controller.
                try await publish(
                    try AgentReplySealer(agentID: a.agentID, signingKey: a.signingKey, controllerID: OpaqueID())
                        .seal(acknowledgement))
                try await waitUntil("three rejections", timeout: .seconds(10)) {
                    await rig.dispatcher.counters.rejectedTotal >= 3
                }
                var counters = await rig.dispatcher.counters
                #expect(counters.rejected["signatureInvalid"] == 1)
                #expect(counters.rejected["unknownSender"] == 1)
                #expect(counters.rejected["wrongRecipient"] == 1)
                #expect(counters.acknowledged == 0)
                #expect(try await rig.outbox(a.agentID).count == 1)

                let genuine = try AgentReplySealer(agentID: a.agentID, signingKey: a.signingKey, controllerID: controllerID)
                    .seal(acknowledgement)
                try await publish(genuine)
                try await waitUntil("the genuine acknowledgement", timeout: .seconds(10)) {
                    try await rig.outbox(a.agentID).isEmpty
                }
                // The same envelope again: refused as a replay; command 2 stays queued.
                try await rig.dispatcher.send(.ping, to: a.agentID)
                try await publish(genuine)
                try await waitUntil("the replay rejected", timeout: .seconds(10)) {
                    await rig.dispatcher.counters.rejected["replayed"] == 1
                }
                counters = await rig.dispatcher.counters
                #expect(counters.acknowledged == 1)
                #expect(try await rig.outbox(a.agentID).map(\.sequence) == [2])
                #expect(try await rig.outbox(b.agentID).isEmpty)
            } catch {
                await client.disconnect()
                throw error
            }
            await client.disconnect()
        }
    }
    @Test(.timeLimit(.minutes(1)))
    func linkSecretReportsReachTheHandlerUntilForgotten() async throws {
        let configuration = AgentCommandConfiguration(retryInterval: .seconds(30), presenceTimeout: .seconds(60))
        try await CommandChannelRig.run(configuration: configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let received = ReportLog()
            await rig.dispatcher.setLinkSecretHandler { agentID, report in
                received.withLock { $0.append((agentID, report)) }
            }
            let report = LinkSecretReport(linkID: OpaqueID(), side: .b, secretHash: Secret().hash)
            try await rig.withAgent("edge-1", applier: RecordingApplier()) { agent in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                await agent.session.report(report)
                try await waitUntil("the report handled", timeout: .seconds(10)) { received.withLock { $0.count } == 1 }
                #expect(received.withLock { $0[0].0 } == state.agentID)
                #expect(received.withLock { $0[0].1 } == report)
                // Repeated with every status until forgotten.
                let statuses = await rig.dispatcher.counters.statuses
                await agent.session.statusChanged()
                try await waitUntil("the report repeated", timeout: .seconds(10)) { received.withLock { $0.count } == 2 }
                await agent.session.forgetReport(linkID: report.linkID, side: report.side)
                await agent.session.statusChanged()
                try await waitUntil("two more statuses", timeout: .seconds(10)) {
                    await rig.dispatcher.counters.statuses >= statuses + 2
                }
                #expect(received.withLock { $0.count } == 2)
            }
        }
    }
}

/// Reports the dispatcher handed to its handler, in order.
private final class ReportLog: Sendable {
    private let reports = Mutex<[(OpaqueID, LinkSecretReport)]>([])

    func withLock<T: Sendable>(_ body: (inout [(OpaqueID, LinkSecretReport)]) -> T) -> T {
        reports.withLock { body(&$0) }
    }
}
