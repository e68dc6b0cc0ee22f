import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// Agent presence as the controller records it: online from verified status messages,
/// offline from the MQTT will or after the presence timeout.
@Suite struct AgentCommandPresenceTests {
    @Test(.timeLimit(.minutes(1)))
    func willMarksAnAgentWhoseConnectionDiedOffline() async throws {
        let configuration = AgentCommandConfiguration(retryInterval: .milliseconds(200), presenceTimeout: .seconds(60))
        try await CommandChannelRig.run(configuration: configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            let relay = try TCPRelay(targetPort: rig.fixture.broker.port)
            defer { relay.close() }
            try await rig.withAgent("edge-1", applier: RecordingApplier(), relay: relay) { agent in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                #expect(await rig.dispatcher.counters.wills == 0)
                // The connection dies without DISCONNECT, and the agent cannot come back yet.
                relay.setRefusesNew(true)
                relay.sever()
                try await waitUntil("the agent offline", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .offline
                }
                #expect(await rig.dispatcher.counters.wills == 1)
                let changed = try #require(try await rig.database.agent(id: state.agentID)?.presenceChanged)
                #expect(abs(changed.timeIntervalSinceNow) < 30)
                // Reconnecting brings a status, and with it presence online.
                relay.setRefusesNew(false)
                try await waitUntil("the agent online again", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                #expect(await agent.session.isConnected)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func silenceBeyondThePresenceTimeoutMarksAnAgentOffline() async throws {
        let configuration = AgentCommandConfiguration(retryInterval: .milliseconds(200), presenceTimeout: .milliseconds(800))
        var agentConfiguration = CommandChannelRig.agentConfiguration
        agentConfiguration.statusInterval = .seconds(3_600)
        try await CommandChannelRig.run(configuration: configuration) { rig in
            let state = try await rig.provisionAgent("edge-1")
            try await rig.withAgent("edge-1", applier: RecordingApplier(), configuration: agentConfiguration) { agent in
                try await waitUntil("the agent online", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
                try await waitUntil("the agent offline after the timeout", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .offline
                }
                #expect(await rig.dispatcher.counters.wills == 0)
                #expect(await agent.session.isConnected)
                await agent.session.statusChanged()
                try await waitUntil("the agent online after a status", timeout: .seconds(10)) {
                    try await rig.presence(state.agentID) == .online
                }
            }
            // A clean stop says so at once.
            try await waitUntil("the agent offline after stopping", timeout: .seconds(10)) {
                try await rig.presence(state.agentID) == .offline
            }
        }
    }
}
