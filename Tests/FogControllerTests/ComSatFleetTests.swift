import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Testing

@Suite struct ComSatFleetTests {
    @Test func fleetConnectsSynchronisesInstallsAndRevokes() async throws {
        try await ComSatFixture.run { fixture in
            let (a, _) = try await fixture.addAgent()
            let (b, _) = try await fixture.addAgent()
            let (link, halves, secrets) = try await fixture.addLink(between: a, and: b)
            // A second ComSat whose key was never pinned, and one nobody listens for.
            let (unpinned, _) = try await ComSatEnrolment(name: "unpinned", url: "mqtt://127.0.0.1:1")
                .enrol(home: fixture.home, store: fixture.database, logger: ComSatFixture.logger)
            let (dead, _) = try await ComSatEnrolment(name: "dead", url: "mqtt://127.0.0.1:\(try FreePort.next())")
                .enrol(home: fixture.home, store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.database.pinResponseKey(SigningKey().publicKey, comsatID: dead.id)

            let fleet = ComSatFleet(
                home: fixture.home, store: fixture.database,
                configuration: .init(responseTimeout: .seconds(5), connectTimeout: .seconds(2)), logger: ComSatFixture.logger)
            let failures = try await fleet.connectAll()
            #expect(failures[unpinned.id]?.code == .comsatKeyNotPinned)
            #expect(failures[dead.id]?.code == .comsatUnreachable)
            #expect(failures[fixture.comsat.id] == nil)
            #expect(try await fixture.database.comsat(id: fixture.comsat.id)?.health == .healthy)
            #expect(try await fixture.database.comsat(id: dead.id)?.health == .unreachable)
            #expect(try await fixture.database.comsat(id: unpinned.id)?.health == .unknown)
            let session = try #require(await fleet.session(for: fixture.comsat.id))
            #expect(try await fixture.digest(session).count == 4)
            // Connected ComSats are left alone by the next round.
            #expect(Set(try await fleet.connectAll().keys) == [unpinned.id, dead.id])

            let (c, cSecret) = try await fixture.addAgent()
            try await fleet.install([c.grant], on: fixture.comsat.id)
            #expect(await fixture.connectionResult(clientID: c.clientID, username: c.id.description, password: cSecret.text) == nil)
            await #expect(throws: ControllerError.self) { try await fleet.install([c.grant], on: dead.id) }

            try await fleet.revoke(try await fixture.database.deleteLink(id: link.id))
            for (half, secret) in zip(halves, secrets) {
                #expect(
                    await fixture.connectionResult(clientID: half.clientID, username: half.username, password: secret.text)
                        == .notAuthorized)
            }
            #expect(try await fixture.digest(session).count == 3)
            await fleet.shutdown()
            #expect(await fleet.session(for: fixture.comsat.id) == nil)
        }
    }
}
