import FogCore
import FogMQTT
import FogTestSupport
import Testing

@Suite struct ComSatAuthTests {
    @Test func acceptsGrantedPrincipalsAndRefusesEveryoneElse() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            let agent = TestPrincipal.agent()
            try await comsat.install(link.grants + [agent.grant])

            // Good credentials, each with its own client id.
            for principal in [link.a, link.b, agent] {
                let (client, _) = try await comsat.connect(principal)
                await client.disconnect()
            }

            // Wrong secret, unknown user, another principal's client id, anonymous.
            await comsat.expectRefused(clientID: link.a.clientID, username: link.a.username, password: Secret().text)
            await comsat.expectRefused(clientID: link.a.clientID, username: link.b.username, password: link.a.secret.text)
            await comsat.expectRefused(clientID: "someone", username: OpaqueID().description, password: Secret().text)
            await comsat.expectRefused(clientID: link.b.clientID, username: link.a.username, password: link.a.secret.text)
            await comsat.expectRefused(clientID: "anonymous", username: nil, password: nil)
            // The controller's username is accepted only with the controller's client id.
            await comsat.expectRefused(
                clientID: link.a.clientID, username: comsat.controller.username, password: comsat.controller.secret.text)

            // The same through the command-line client, which speaks MQTT 3.1.1 here.
            let anonymous = try await ChildProcess.run(
                "mosquitto_pub",
                ["-h", comsat.broker.host, "-p", String(comsat.broker.port), "-i", "anonymous-cli", "-t", link.topicAB, "-m", "x"],
                timeout: .seconds(10))
            #expect(anonymous.status != 0)
            #expect(anonymous.output.lowercased().contains("not authori"), "\(anonymous.output)")
            let granted = try await ChildProcess.run(
                "mosquitto_sub",
                comsat.cliConnectionArguments + [
                    "-i", link.b.clientID, "-u", link.b.username, "-P", link.b.secret.text, "-t", link.topicAB,
                    "-W", "1",
                ],
                timeout: .seconds(10))
            // Timed out waiting for a message (exit 27), not refused.
            #expect(granted.status == 27, "\(granted.output)")

            let stats = try await comsat.stats()
            #expect(stats.authRefused >= 7)
            #expect(stats.authAccepted >= 5)
        }
    }

    @Test func expiredGrantsAreRefused() async throws {
        try await ComSatTestBroker.run { comsat in
            let expired = TestLink(expiry: UInt64(Timestamp.now().millisecondsSinceEpoch / 1_000) - 1)
            let current = TestLink(expiry: UInt64(Timestamp.now().millisecondsSinceEpoch / 1_000) + 3_600)
            try await comsat.install(expired.grants + current.grants)
            await comsat.expectRefused(clientID: expired.a.clientID, username: expired.a.username, password: expired.a.secret.text)
            let (client, _) = try await comsat.connect(current.a)
            await client.disconnect()
        }
    }

    @Test func linkHalvesTalkOverTLS() async throws {
        try await ComSatTestBroker.run(tls: true) { comsat in
            let link = TestLink()
            try await comsat.install(link.grants)
            let (a, _) = try await comsat.connect(link.a)
            let (b, received) = try await comsat.connect(link.b)
            try await b.subscribe(link.topicAB, qos: .atLeastOnce)
            try await a.publish(topic: link.topicAB, payload: Array("over tls".utf8), qos: .atLeastOnce)
            try await waitUntil("B receives A's message", timeout: .seconds(5)) {
                received.all.contains { $0.payload == Array("over tls".utf8) }
            }
            await comsat.expectRefused(clientID: link.a.clientID, username: link.a.username, password: Secret().text)
            await a.disconnect()
            await b.disconnect()
        }
    }
}
