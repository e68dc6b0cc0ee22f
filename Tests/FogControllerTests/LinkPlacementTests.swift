import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

@Suite struct LinkPlacementTests {
    /// Two real ComSats with the plugin in one controller home, plus one enrolled ComSat
    /// nobody listens for: placement takes the healthy one with the fewest links (ties by
    /// name), never one without a live session, and says so when none is left.
    @Test func picksTheLeastLoadedHealthyComSat() async throws {
        try await ComSatFixture.run { fixture in
            let directory = fixture.directory.path + "/second"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let (second, bundle) = try await ComSatEnrolment(
                name: "comsat-b", url: "mqtt://127.0.0.1:1883", grantStorePath: directory + "/grants.journal",
                identityKeyPath: directory + "/identity.key"
            ).enrol(home: fixture.home, store: fixture.database, logger: ComSatFixture.logger)
            try await withMosquitto(.comsat(pluginOptions: bundle.pluginOptions)) { broker in
                var record = second
                record.url = "mqtt://127.0.0.1:\(broker.port)"
                try await fixture.database.writer.write { [record] db in try record.update(db) }
                let keyText = try String(contentsOfFile: directory + "/identity.key.pub", encoding: .utf8)
                try await fixture.database.pinResponseKey(
                    try SigningPublicKey(text: keyText.trimmingCharacters(in: .whitespacesAndNewlines)), comsatID: second.id)
                let (dead, _) = try await ComSatEnrolment(name: "aaa-dead", url: "mqtt://127.0.0.1:\(try FreePort.next())")
                    .enrol(home: fixture.home, store: fixture.database, logger: ComSatFixture.logger)
                try await fixture.database.pinResponseKey(SigningKey().publicKey, comsatID: dead.id)

                let fleet = ComSatFleet(
                    home: fixture.home, store: fixture.database,
                    configuration: .init(responseTimeout: .seconds(5), connectTimeout: .seconds(2)), logger: ComSatFixture.logger)
                let failures = try await fleet.connectAll()
                #expect(Set(failures.keys) == [dead.id])
                // Recorded healthy but without a session: still never chosen.
                try await fixture.database.setHealth(.healthy, comsatID: dead.id, at: Date())
                let placement = LinkPlacement(store: fixture.database, fleet: fleet)
                #expect(try await placement.choose().id == second.id, "tie on zero links goes to the first name")

                let (a, _) = try await fixture.addAgent()
                let (b, _) = try await fixture.addAgent()
                func addLink(on comsatID: OpaqueID) async throws {
                    let (link, halves, _) = ControllerFixtures.link(comsatID: comsatID, a: a.id, b: b.id)
                    try await fixture.database.insertLink(link, halves: halves)
                }
                try await addLink(on: second.id)
                #expect(try await placement.choose().id == fixture.comsat.id)
                try await addLink(on: fixture.comsat.id)
                try await addLink(on: fixture.comsat.id)
                #expect(try await placement.choose().id == second.id)
                #expect(try await fixture.database.linkCounts() == [second.id: 1, fixture.comsat.id: 2])

                await fleet.shutdown()
                do throws(ControllerError) {
                    _ = try await placement.choose()
                    Issue.record("a ComSat without a session was chosen")
                } catch {
                    #expect(error.code == .noHealthyComSat)
                    #expect(error.message.contains("3 enrolled ComSats"))
                }
            }
        }
    }
}
