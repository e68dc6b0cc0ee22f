import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct ComSatFleetServiceTests {
    /// The service retries with backoff; pinning a key through the admin API wakes it, so
    /// the ComSat connects without waiting out the (here deliberately long) retry delay;
    /// cancelling the service closes every session.
    @Test func pinningAKeyWakesTheFleetAndTheAPIShowsTheSession() async throws {
        try await ComSatFixture.run { fixture in
            let pinnedKey = try #require(fixture.comsat.responseKey)
            var unpinned = fixture.comsat
            unpinned.responseKey = nil
            try await fixture.database.writer.write { [unpinned] db in try unpinned.update(db) }

            // A ComSat nobody listens for: the first round marks it unreachable, which tells
            // the test that the round (and its failure to use the unpinned one) is over.
            let (dead, _) = try await ComSatEnrolment(name: "dead", url: "mqtt://127.0.0.1:\(try FreePort.next())")
                .enrol(home: fixture.home, store: fixture.database, logger: ComSatFixture.logger)
            try await fixture.database.pinResponseKey(SigningKey().publicKey, comsatID: dead.id)

            let fleet = ComSatFleet(
                home: fixture.home, store: fixture.database,
                configuration: .init(responseTimeout: .seconds(5), connectTimeout: .seconds(2)), logger: ComSatFixture.logger)
            let configuration = ControllerConfiguration(
                homePath: fixture.home.path, fleetRetryInitial: .seconds(600), fleetRetryMaximum: .seconds(600),
                fleetRefreshInterval: .seconds(600))
            let service = ComSatFleetService(fleet: fleet, configuration: configuration, logger: ComSatFixture.logger)
            let token = try AdminClient.readToken(path: fixture.home.adminTokenPath)
            let application = try buildAdminApplication(
                configuration: AdminAPIConfiguration(port: 0),
                environment: AdminAPIEnvironment(
                    home: fixture.home, store: fixture.database, fleet: fleet, comsatKeyPinned: { service.wake() }),
                logger: ComSatFixture.logger)
            let comsatID = fixture.comsat.id
            let database = fixture.database

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                // The first round fails for want of a key and would wait 10 minutes.
                try await waitUntil("the first round marked the dead ComSat unreachable", timeout: .seconds(20)) {
                    try await database.comsat(id: dead.id)?.health == .unreachable
                }
                #expect(await fleet.session(for: comsatID) == nil)
                try await application.test(.router) { client in
                    let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
                    let body = try JSONEncoder().encode(ComSatKeyPin(responseKey: pinnedKey.description))
                    try await client.execute(
                        uri: "/v1/comsats/comsat-test/key", method: .post, headers: headers, body: .init(bytes: body)
                    ) { response throws in
                        #expect(response.status == .ok)
                    }
                    // The fleet records the health just after it stores the session.
                    try await waitUntil("the fleet connected after the key was pinned", timeout: .seconds(20)) {
                        guard await fleet.session(for: comsatID) != nil else { return false }
                        return try await database.comsat(id: comsatID)?.health == .healthy
                    }
                    try await client.execute(uri: "/v1/comsats", method: .get, headers: headers) { response throws in
                        let list = try JSONDecoder.adminAPI.decode(ComSatList.self, from: Data(response.body.readableBytesView))
                        #expect(list.comsats.map(\.name) == ["comsat-test", "dead"])
                        #expect(list.comsats.map(\.connected) == [true, false])
                        #expect(list.comsats.map(\.health) == ["healthy", "unreachable"])
                    }
                    try await client.execute(uri: "/v1/status", method: .get, headers: headers) { response throws in
                        let status = try JSONDecoder.adminAPI.decode(ControllerStatus.self, from: Data(response.body.readableBytesView))
                        #expect(status.comsats == .init(total: 2, connected: 1, healthy: 1, unreachable: 1, unknown: 0))
                    }
                }
                #expect(try await database.comsat(id: comsatID)?.digestCount == 0)
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(await fleet.session(for: comsatID) == nil)
        }
    }
}

extension JSONDecoder {
    static var adminAPI: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
