import FogController
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Testing

/// Sessions of removed grants are swept even when the controller never learnt their client
/// ids from a removal it asked for: a resync's `replaceAll`, or a removal whose sweep a
/// stopped controller did not do. Checked against Mosquitto's saved session database.
@Suite struct ComSatSweepTests {
    @Test func grantsRemovedByAResyncHaveTheirSessionsSwept() async throws {
        try await ComSatFixture.run { fixture in
            let (a, _) = try await fixture.addAgent()
            let (b, _) = try await fixture.addAgent()
            let (link, halves, secrets) = try await fixture.addLink(between: a, and: b)
            let sync = GrantSync(store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.withSession { session in try await sync.synchronize(session) }
            let marker = try await queueMarkers(fixture, halves: halves, secrets: secrets)

            // The controller changes while away from the ComSat: the link is deleted without
            // a revoke, so only the resync's replaceAll can remove its grants.
            _ = try await fixture.database.deleteLink(id: link.id)
            try await fixture.withSession { session in
                guard case .resynchronized(let expected, let before) = try await sync.synchronize(session) else {
                    Issue.record("the ComSat holding a deleted link was found in sync")
                    return
                }
                #expect(before.count == 4)
                #expect(expected.count == 2)
                let stats = try await fixture.stats(session)
                #expect(stats.pendingSweeps == 0)
                #expect(stats.sweepsCompleted == 2)
                try await expectNoTrace(of: marker, halves: halves, fixture)

                // The client id is free again: granting it anew installs, and its holder
                // starts from an empty session.
                let regranted = try #require(halves[1].grant)
                #expect(try await session.send(.addGrants([regranted])).itemResults == [.added])
                let holder = fixture.client(
                    clientID: halves[1].clientID, username: halves[1].username, password: secrets[1].text,
                    cleanStart: false, sessionExpiry: 3_600)
                let result = try await holder.connect()
                #expect(!result.sessionPresent)
                await holder.disconnect()
            }
        }
    }

    @Test func sweepsLeftUndoneByAStoppedControllerAreDoneOnTheNextConnect() async throws {
        try await ComSatFixture.run { fixture in
            let (a, _) = try await fixture.addAgent()
            let (b, _) = try await fixture.addAgent()
            let (link, halves, secrets) = try await fixture.addLink(between: a, and: b)
            let sync = GrantSync(store: fixture.database, logger: ComSatFixture.logger)
            let marker = try await fixture.withSession { session -> [UInt8] in
                try await sync.synchronize(session)
                let marker = try await queueMarkers(fixture, halves: halves, secrets: secrets)
                // Revoked, then the controller stops before its sweeps.
                let revoked = try await fixture.database.deleteLink(id: link.id)
                let response = try await session.send(.removeGrants(revoked.map(\.username)))
                #expect(response.itemResults == [.removed, .removed])
                #expect(try await fixture.stats(session).pendingSweeps == 2)
                try await fixture.savePersistence()
                #expect(try fixture.persistenceBytes().containsRun(marker), "the removal alone already dropped the queue")
                // Until swept, the client id cannot be granted again.
                #expect(try await session.send(.addGrants([try #require(halves[1].grant)])).itemResults == [.sweepPending])
                return marker
            }

            // The restarted controller connects its fleet: the ComSat is in sync, and the
            // leftover sweeps are done.
            let fleet = ComSatFleet(
                home: fixture.home, store: fixture.database, configuration: .init(responseTimeout: .seconds(10)),
                logger: ComSatFixture.logger)
            #expect(try await fleet.connectAll().isEmpty)
            let session = try #require(await fleet.session(for: fixture.comsat.id))
            let stats = try await fixture.stats(session)
            #expect(stats.pendingSweeps == 0)
            #expect(stats.sweepsCompleted == 2)
            #expect(try await fixture.stats(session).grants == 2)
            #expect(try await sync.sweepPending(on: session) == 0)
            try await expectNoTrace(of: marker, halves: halves, fixture)
            try await fleet.install([try #require(halves[1].grant)], on: fixture.comsat.id)
            await fleet.shutdown()
        }
    }

    /// Gives half B a persistent session subscribed to A's direction, then has A publish
    /// five marker messages that queue for the offline B; proves they are in Mosquitto's
    /// saved database. Returns the marker.
    private func queueMarkers(
        _ fixture: ComSatFixture, halves: [LinkHalfRecord], secrets: [Secret]
    ) async throws -> [UInt8] {
        let marker = Array("QUEUED-MARKER-\(OpaqueID())".utf8)
        let grantA = try #require(halves[0].grant)
        let b = fixture.client(
            clientID: halves[1].clientID, username: halves[1].username, password: secrets[1].text, cleanStart: false,
            sessionExpiry: 3_600)
        try await b.connect()
        try await b.subscribe(grantA.publishTopics[0], qos: .atLeastOnce)
        await b.disconnect()
        let a = fixture.client(clientID: halves[0].clientID, username: halves[0].username, password: secrets[0].text)
        try await a.connect()
        for index in 0..<5 {
            let code = try await a.publish(topic: grantA.publishTopics[0], payload: marker + [UInt8(index)], qos: .atLeastOnce)
            #expect(!code.isFailure, "marker \(index) refused: \(code)")
        }
        await a.disconnect()
        try await fixture.savePersistence()
        let saved = try fixture.persistenceBytes()
        #expect(saved.containsRun(marker), "positive control: the markers are queued for B")
        #expect(saved.containsRun(Array(halves[1].clientID.utf8)), "positive control: B's session is saved")
        return marker
    }

    private func expectNoTrace(of marker: [UInt8], halves: [LinkHalfRecord], _ fixture: ComSatFixture) async throws {
        try await fixture.savePersistence()
        // Booleans first, so a failure reports the finding rather than the whole file.
        let saved = try fixture.persistenceBytes()
        let markerSaved = saved.containsRun(marker)
        #expect(!markerSaved, "a queued marker survived the sweep")
        for half in halves {
            let sessionSaved = saved.containsRun(Array(half.clientID.utf8))
            #expect(!sessionSaved, "the session of \(half.clientID) survived the sweep")
        }
    }
}
