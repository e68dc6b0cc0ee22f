import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct ComSatSessionTests {
    @Test func enrolmentBundleStartsAComSatThatTheControllerReachesOverTLS() async throws {
        try await ComSatFixture.run(tls: true) { fixture in
            let credential = try fixture.home.comsatCredential(for: fixture.comsat.id)
            let lines = fixture.bundle.configurationLines
            #expect(!lines.contains(credential.text))
            #expect(lines.contains("plugin_opt_controller_secret_hash \(credential.hash)\n"))
            #expect(lines.contains("plugin_opt_controller_public_key \(fixture.home.signingKey.publicKey)\n"))
            #expect(lines.contains("plugin_opt_controller_id \(fixture.home.controllerID)\n"))
            #expect(lines.contains("plugin_opt_comsat_id \(fixture.comsat.id)\n"))
            #expect(fixture.comsat.url.hasPrefix("mqtts://"))

            try await fixture.withSession { session in
                #expect(await session.isConnected)
                #expect(try await fixture.digest(session) == GrantSetDigest())
                let outcome = try await GrantSync(store: fixture.database, logger: ComSatFixture.logger).synchronize(session)
                #expect(outcome == .inSync(GrantSetDigest()))
            }
            // Anyone else presenting the controller's username without its secret is refused.
            #expect(
                await fixture.connectionResult(
                    clientID: fixture.comsat.controllerClientID, username: fixture.comsat.controllerUsername,
                    password: Secret().text) == .notAuthorized)
        }
    }

    @Test func sessionNeedsAPinnedKeyAndRejectsResponsesSignedByAnotherKey() async throws {
        try await ComSatFixture.run { fixture in
            var unpinned = fixture.comsat
            unpinned.responseKey = nil
            #expect {
                try ComSatSession(comsat: unpinned, home: fixture.home, logger: ComSatFixture.logger)
            } throws: { error in
                // The operator is told which file on the ComSat host holds the key to pin.
                guard let error = error as? ControllerError else { return false }
                return error.code == .comsatKeyNotPinned && error.message.contains("identity_key_file")
                    && error.message.contains("identity.key.pub")
            }

            var wrongKey = fixture.comsat
            let otherKey = SigningKey().publicKey
            wrongKey.responseKey = otherKey
            let session = try ComSatSession(
                comsat: wrongKey, home: fixture.home, configuration: .init(responseTimeout: .seconds(1)),
                logger: ComSatFixture.logger)
            try await session.connect()
            do throws(ControllerError) {
                _ = try await session.send(.digest)
                Issue.record("a response signed by an unpinned key was accepted")
            } catch {
                // The ComSat answers, its answers fail verification: named as a key mismatch.
                #expect(error.code == .comsatKeyMismatch, "\(error)")
                #expect(error.message.contains("\(otherKey)"), "\(error)")
                #expect(error.message.contains("identity_key_file"), "\(error)")
            }
            await session.close()
        }
    }

    @Test func installedGrantsLetPrincipalsConnectAndDigestsMatch() async throws {
        try await ComSatFixture.run { fixture in
            let (a, aSecret) = try await fixture.addAgent()
            let (b, _) = try await fixture.addAgent()
            let (_, halves, secrets) = try await fixture.addLink(between: a, and: b)
            let sync = GrantSync(store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.withSession { session in
                let first = try await sync.synchronize(session)
                let expected = try GrantSetDigest(try await fixture.database.grants(comsatID: fixture.comsat.id, now: Date()))
                #expect(first == .resynchronized(expected: expected, before: GrantSetDigest()))
                #expect(expected.count == 4)
                #expect(try await fixture.digest(session) == expected)
                #expect(try await sync.synchronize(session) == .inSync(expected))
                let stored = try #require(try await fixture.database.comsat(id: fixture.comsat.id))
                #expect(stored.digestCount == 4)
                #expect(stored.digestSum == Hex.encode(expected.sumBytes))

                #expect(await fixture.connectionResult(clientID: a.clientID, username: a.id.description, password: aSecret.text) == nil)
                for (half, secret) in zip(halves, secrets) {
                    #expect(await fixture.connectionResult(clientID: half.clientID, username: half.username, password: secret.text) == nil)
                }
                #expect(
                    await fixture.connectionResult(clientID: halves[0].clientID, username: halves[0].username, password: secrets[1].text)
                        == .notAuthorized)

                // A new agent added day to day goes in with `install`.
                let (c, cSecret) = try await fixture.addAgent()
                try await sync.install([c.grant], on: session)
                #expect(await fixture.connectionResult(clientID: c.clientID, username: c.id.description, password: cSecret.text) == nil)
                #expect(try await sync.synchronize(session).isInSync)

                // Refused items are reported one by one.
                var stolen = c.grant
                stolen.username = OpaqueID().description
                do throws(ControllerError) {
                    try await sync.install([stolen], on: session)
                    Issue.record("a grant taking another principal's client id was installed")
                } catch {
                    #expect(error.code == .itemsRefused)
                    #expect(error.itemFailures == [.init(username: stolen.username, result: .conflict)])
                }
            }
        }
    }

    @Test func revokedGrantsAreRefusedAndTheirSessionsSwept() async throws {
        try await ComSatFixture.run { fixture in
            let (a, _) = try await fixture.addAgent()
            let (b, _) = try await fixture.addAgent()
            let (link, halves, secrets) = try await fixture.addLink(between: a, and: b)
            let (keep, keepHalves, keepSecrets) = try await fixture.addLink(between: a, and: b)
            let sync = GrantSync(store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.withSession { session in
                try await sync.synchronize(session)
                let revoked = try await fixture.database.deleteLink(id: link.id)
                try await sync.revoke(revoked, on: session)
                for (half, secret) in zip(halves, secrets) {
                    #expect(
                        await fixture.connectionResult(clientID: half.clientID, username: half.username, password: secret.text)
                            == .notAuthorized)
                }
                #expect(
                    await fixture.connectionResult(
                        clientID: keepHalves[0].clientID, username: keepHalves[0].username, password: keepSecrets[0].text) == nil)
                let stats = try await fixture.stats(session)
                #expect(stats.pendingSweeps == 0)
                #expect(stats.sweepsCompleted == 2)
                #expect(try await sync.synchronize(session).isInSync)
                // Revoking again is harmless: the goal state already holds.
                try await sync.revoke(revoked, on: session)
                #expect(try await fixture.database.link(id: keep.id) != nil)
            }
        }
    }

    @Test func aComSatThatMissedChangesIsResynchronised() async throws {
        try await ComSatFixture.run { fixture in
            let (a, _) = try await fixture.addAgent()
            let (b, bSecret) = try await fixture.addAgent()
            let (link, halves, secrets) = try await fixture.addLink(between: a, and: b)
            let sync = GrantSync(store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.withSession { session in try await sync.synchronize(session) }

            // While the controller is away, the database changes: a link goes, an agent comes.
            _ = try await fixture.database.deleteLink(id: link.id)
            let (c, cSecret) = try await fixture.addAgent()
            try await fixture.withSession { session in
                guard case .resynchronized(let expected, let before) = try await sync.synchronize(session) else {
                    Issue.record("the stale ComSat was not resynchronised")
                    return
                }
                #expect(before.count == 4)
                #expect(expected.count == 3)
            }
            #expect(await fixture.connectionResult(clientID: c.clientID, username: c.id.description, password: cSecret.text) == nil)
            #expect(
                await fixture.connectionResult(clientID: halves[0].clientID, username: halves[0].username, password: secrets[0].text)
                    == .notAuthorized)

            // The ComSat loses its grant store while the session is up: the reconnection
            // after its restart resynchronises it without anyone asking.
            let outcomes = Mutex<[GrantSync.Outcome]>([])
            try await fixture.withSession(onReconnect: { session in
                if let outcome = try? await sync.synchronize(session) { outcomes.withLock { $0.append(outcome) } }
            }) { session in
                #expect(try await sync.synchronize(session).isInSync)
                await fixture.broker.stop()
                try FileManager.default.removeItem(atPath: fixture.grantStorePath)
                #expect(outcomes.withLock { $0.isEmpty }, "the initial connection counted as a reconnection")
                try await fixture.broker.restart()
                try await waitUntil("the reconnection resynchronised the ComSat", timeout: .seconds(20)) {
                    !outcomes.withLock { $0.isEmpty }
                }
                let outcome = try #require(outcomes.withLock { $0.first })
                guard case .resynchronized(let expected, let before) = outcome else {
                    Issue.record("the ComSat that lost its store was found in sync: \(outcome)")
                    return
                }
                #expect(before == GrantSetDigest())
                #expect(expected.count == 3)
                #expect(try await sync.synchronize(session).isInSync)
                #expect(await fixture.connectionResult(clientID: b.clientID, username: b.id.description, password: bSecret.text) == nil)
            }
        }
    }

    @Test func largeGrantSetsAreResynchronisedByDifferenceInBatches() async throws {
        try await ComSatFixture.run { fixture in
            var agents: [AgentRecord] = []
            for _ in 0..<5 { agents.append(try await fixture.addAgent().0) }
            let small = GrantSync(store: fixture.database, batchSize: 2, logger: ComSatFixture.logger)
            try await fixture.withSession { session in
                // A stranger grant the database does not know, and one agent with another secret.
                let stranger = ControllerFixtures.agent(home: fixture.comsat.id).0
                var changed = agents[0].grant
                changed.secretHash = Secret().hash
                _ = try await session.send(.addGrants([stranger.grant, changed] + agents[1...2].map(\.grant)))
                guard case .resynchronized(let expected, let before) = try await small.synchronize(session) else {
                    Issue.record("not resynchronised")
                    return
                }
                #expect(before.count == 4)
                #expect(expected.count == 5)
                #expect(try await fixture.digest(session) == expected)
            }
        }
    }
}

extension GrantSync.Outcome {
    var isInSync: Bool {
        if case .inSync = self { true } else { false }
    }
}
