import FogCore
import FogMQTT
import FogTestSupport
import Testing

@Suite struct ComSatOptInTests {
    @Test func linkRelaysOnlyOnceBothHalvesAuthenticatedAndRemembersItAcrossRestarts() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            try await comsat.install(link.grants)

            let (a, fromB) = try await comsat.connect(link.a)
            // Subscribing before opt-in is allowed; publishing is not.
            try await a.subscribe(link.topicBA, qos: .atLeastOnce)
            do throws(MQTTError) {
                try await a.publish(topic: link.topicAB, payload: [0], qos: .atLeastOnce)
                Issue.record("a half published before its peer opted in")
            } catch {
                #expect(error.reasonCode == .notAuthorized, "\(error)")
            }
            #expect(try await comsat.stats().optedInLinks == 0)

            let (b, fromA) = try await comsat.connect(link.b)
            try await b.subscribe(link.topicAB, qos: .atLeastOnce)
            try await a.publish(topic: link.topicAB, payload: [1], qos: .atLeastOnce)
            try await b.publish(topic: link.topicBA, payload: [2], qos: .atLeastOnce)
            try await waitUntil("both directions deliver", timeout: .seconds(5)) {
                fromA.all.contains { $0.payload == [1] } && fromB.all.contains { $0.payload == [2] }
            }
            #expect(try await comsat.stats().optedInLinks == 1)
            await a.disconnect()
            await b.disconnect()

            // Opt-in is persisted (committed by the plugin's tick): after a crash and a
            // restart, A may publish before B has reconnected.
            try await waitUntil("the opt-in to be committed", timeout: .seconds(5)) {
                (try? comsat.fileBytes(comsat.grantStorePath)).map { bytes in
                    bytes.containsRun(link.id.bytes + [Grant.LinkSide.b.rawValue])
                } ?? false
            }
            await comsat.broker.kill()
            try await comsat.broker.start()
            try await comsat.connectController()
            #expect(try await comsat.stats().optedInLinks == 1)
            let (again, _) = try await comsat.connect(link.a)
            try await again.publish(topic: link.topicAB, payload: [3], qos: .atLeastOnce)
            await again.disconnect()
        }
    }

    @Test func removingOneHalfWithdrawsTheLinksOptIn() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            try await comsat.install(link.grants)
            for half in [link.a, link.b] {
                let (client, _) = try await comsat.connect(half)
                await client.disconnect()
            }
            #expect(try await comsat.stats().optedInLinks == 1)

            // B's grant is removed and a new one issued (say, after the agent was re-provisioned):
            // the link waits again until the new B has authenticated.
            #expect(try await comsat.send(.removeGrants([link.b.username])).itemResults == [.removed])
            try await comsat.sweep(clientID: link.b.clientID)
            var replacement = link.b
            replacement.secret = Secret()
            replacement.grant.secretHash = replacement.secret.hash
            #expect(try await comsat.send(.addGrants([replacement.grant])).itemResults == [.added])
            #expect(try await comsat.stats().optedInLinks == 0)

            let (a, _) = try await comsat.connect(link.a)
            do throws(MQTTError) {
                try await a.publish(topic: link.topicAB, payload: [0], qos: .atLeastOnce)
                Issue.record("published while the new B had not opted in")
            } catch {
                #expect(error.reasonCode == .notAuthorized, "\(error)")
            }
            let (b, _) = try await comsat.connect(replacement)
            try await a.publish(topic: link.topicAB, payload: [1], qos: .atLeastOnce)
            await a.disconnect()
            await b.disconnect()
        }
    }
}
