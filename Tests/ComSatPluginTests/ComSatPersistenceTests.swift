import FogCore
import FogMQTT
import FogTestSupport
import Testing

@Suite struct ComSatPersistenceTests {
    @Test func grantsSurviveARestartAndAKill() async throws {
        try await ComSatTestBroker.run { comsat in
            let first = TestLink()
            let second = TestLink()
            let agent = TestPrincipal.agent()
            try await comsat.install(first.grants + [agent.grant])
            let expectedAfterRestart = try GrantSetDigest(first.grants + [agent.grant])
            #expect(try await comsat.digest() == expectedAfterRestart)

            // Clean restart.
            await comsat.disconnectController()
            try await comsat.broker.restart()
            try await comsat.connectController()
            #expect(try await comsat.digest() == expectedAfterRestart)
            let (client, _) = try await comsat.connect(agent)
            await client.disconnect()

            // Changes after the restart, answered, then a crash: the answer means durable.
            try await comsat.install(second.grants)
            #expect(try await comsat.send(.removeGrants([agent.username])).itemResults == [.removed])
            let expectedAfterKill = try GrantSetDigest(first.grants + second.grants)
            await comsat.broker.kill()
            try await comsat.broker.start()
            try await comsat.connectController()
            #expect(try await comsat.digest() == expectedAfterKill)
            for half in [second.a, second.b, first.a] {
                let (client, _) = try await comsat.connect(half)
                await client.disconnect()
            }
            await comsat.expectRefused(clientID: agent.clientID, username: agent.username, password: agent.secret.text)
            // The removal's pending sweep survived too.
            #expect(try await comsat.stats().pendingSweeps == 1)
            try await comsat.sweep(clientID: agent.clientID)
        }
    }

    @Test func replaceAllResynchronisesAndListMatchesTheDigest() async throws {
        try await ComSatTestBroker.run { comsat in
            let kept = TestLink()
            let dropped = TestLink()
            let agent = TestPrincipal.agent()
            try await comsat.install(kept.grants + dropped.grants + [agent.grant])

            // The controller's view: `kept` unchanged, the agent's secret rotated, a new link.
            var rotated = agent
            rotated.secret = Secret()
            rotated.grant.secretHash = rotated.secret.hash
            let added = TestLink()
            let wanted = kept.grants + [rotated.grant] + added.grants
            let response = try await comsat.send(.replaceAll(wanted))
            guard case .replaced(let items, let removed) = response.body else {
                Issue.record("replaceAll answered \(response.body)")
                return
            }
            #expect(items == [.unchanged, .unchanged, .replaced, .added, .added])
            #expect(removed == 2)
            #expect(try await comsat.digest() == (try GrantSetDigest(wanted)))

            // Paging through the list yields every grant's digest exactly once.
            var listed: [String: GrantDigest] = [:]
            var cursor: UInt32? = 0
            while let current = cursor {
                guard case .list(let entries, let next) = try await comsat.send(.list(cursor: current, limit: 2)).body else {
                    Issue.record("list answered without entries")
                    return
                }
                #expect(entries.count <= 2)
                for entry in entries {
                    #expect(listed.updateValue(entry.digest, forKey: entry.username) == nil)
                }
                cursor = next
            }
            #expect(listed.count == wanted.count)
            for grant in wanted {
                #expect(listed[grant.username] == (try GrantDigest(of: grant)))
            }

            await comsat.expectRefused(clientID: agent.clientID, username: agent.username, password: agent.secret.text)
            let (client, _) = try await comsat.connect(rotated)
            await client.disconnect()
        }
    }
}
