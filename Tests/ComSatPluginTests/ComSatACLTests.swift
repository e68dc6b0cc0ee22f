import FogCore
import FogMQTT
import FogTestSupport
import Testing

@Suite struct ComSatACLTests {
    /// Expects `publish` to be refused with PUBACK "not authorized".
    private func expectPublishRefused(
        _ client: MQTTClient, _ topic: String, retain: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await client.publish(topic: topic, payload: Array("denied".utf8), qos: .atLeastOnce, retain: retain)
            Issue.record("publish to '\(topic)' (retain \(retain)) was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .publishRejected, "\(error)", sourceLocation: sourceLocation)
            #expect(error.reasonCode == .notAuthorized, "\(error)", sourceLocation: sourceLocation)
        }
    }

    private func expectSubscribeRefused(
        _ client: MQTTClient, _ topic: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await client.subscribe(topic, qos: .atLeastOnce)
            Issue.record("subscription to '\(topic)' was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .subscriptionRefused, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func linkHalvesReachOnlyTheirOwnExactTopics() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            let other = TestLink()
            let agent = TestPrincipal.agent()
            try await comsat.install(link.grants + other.grants + [agent.grant])
            let (a, _) = try await comsat.connect(link.a)
            let (b, fromA) = try await comsat.connect(link.b)
            let (otherA, _) = try await comsat.connect(other.a)
            let (otherB, otherInbox) = try await comsat.connect(other.b)
            try await otherB.subscribe(other.topicAB, qos: .atLeastOnce)
            try await b.subscribe(link.topicAB, qos: .atLeastOnce)

            // Its own direction works (both halves have opted in).
            try await a.publish(topic: link.topicAB, payload: Array("mine".utf8), qos: .atLeastOnce)
            try await waitUntil("B receives A's message", timeout: .seconds(5)) {
                fromA.all.contains { $0.payload == Array("mine".utf8) }
            }

            // Another link's topics, the peer's direction, other principals' topics, retained.
            await expectPublishRefused(a, other.topicAB)
            await expectPublishRefused(a, link.topicBA)
            await expectPublishRefused(a, agent.grant.publishTopics[0])
            await expectPublishRefused(a, ComSatTopic.control)
            await expectPublishRefused(a, link.topicAB, retain: true)
            await expectPublishRefused(a, link.topicAB + "/deeper")
            for topic in ["#", "+/+", "l/+", "l/#", "$SYS/#", "$SYS/broker/uptime", other.topicAB, other.topicBA,
                link.topicAB, agent.grant.subscribeTopics[0], "$share/group/" + link.topicBA, ComSatTopic.response]
            {
                await expectSubscribeRefused(a, topic)
            }
            // Its own receive topic is fine, and unsubscribing is always allowed.
            try await a.subscribe(link.topicBA, qos: .atLeastOnce)
            try await a.unsubscribe(link.topicBA)

            // The other link saw none of it.
            try await otherA.publish(topic: other.topicAB, payload: Array("other".utf8), qos: .atLeastOnce)
            try await waitUntil("the other link's B receives its own A", timeout: .seconds(5)) {
                !otherInbox.all.isEmpty
            }
            #expect(otherInbox.all.map(\.payload) == [Array("other".utf8)])

            let stats = try await comsat.stats()
            #expect(stats.aclDenied >= 18)
            for client in [a, b, otherA, otherB] {
                await client.disconnect()
            }
        }
    }

    @Test func controllerReachesAgentTopicsOnly() async throws {
        try await ComSatTestBroker.run { comsat in
            let agent = TestPrincipal.agent()
            let link = TestLink()
            try await comsat.install([agent.grant] + link.grants)
            let controller = MQTTClient(
                configuration: comsat.clientConfiguration(
                    clientID: "controller-main", username: comsat.controller.username,
                    password: comsat.controller.secret.text),
                logger: ComSatTestBroker.logger)
            // The test broker's own controller connection holds this client id; take it over.
            await comsat.disconnectController()
            let replies = Inbox.draining(controller.messages)
            try await controller.connect()
            try await controller.subscribe("r/+", qos: .atLeastOnce)
            try await controller.subscribe("q/+", qos: .atLeastOnce)
            await expectSubscribeRefused(controller, "#")
            await expectSubscribeRefused(controller, "l/+")
            await expectSubscribeRefused(controller, link.topicAB)
            await expectSubscribeRefused(controller, "$SYS/#")
            await expectPublishRefused(controller, link.topicAB)
            await expectPublishRefused(controller, agent.grant.subscribeTopics[0], retain: true)
            await expectPublishRefused(controller, "r/" + OpaqueID().description)

            let (agentClient, commands) = try await comsat.connect(agent)
            try await agentClient.subscribe(agent.grant.subscribeTopics[0], qos: .atLeastOnce)
            try await controller.publish(topic: agent.grant.subscribeTopics[0], payload: [1], qos: .atLeastOnce)
            try await agentClient.publish(topic: agent.grant.publishTopics[0], payload: [2], qos: .atLeastOnce)
            try await waitUntil("the command and the reply arrive", timeout: .seconds(5)) {
                commands.all.contains { $0.payload == [1] } && replies.all.contains { $0.payload == [2] }
            }
            await agentClient.disconnect()
            await controller.disconnect()
        }
    }
}
