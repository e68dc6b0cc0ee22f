import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

@Suite struct ComSatEnrolmentTests {
    private func withHome(_ body: (ControllerHome, ControllerDatabase, String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "controller-enrol")
        defer { directory.remove() }
        let (home, _) = try ControllerHome.initialize(at: directory.path + "/home")
        try await body(home, try ControllerDatabase.inMemory(logger: ControllerFixtures.logger), directory.path)
    }

    private func expectRefusal(
        _ enrolment: ComSatEnrolment, _ code: ControllerError.Code, home: ControllerHome, database: ControllerDatabase,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await enrolment.enrol(home: home, store: database, logger: ControllerFixtures.logger)
            Issue.record("enrolment of '\(enrolment.name)' at \(enrolment.url) was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func recordsTheComSatAndKeepsOnlyTheCredentialHashOutsideTheHome() async throws {
        try await withHome { home, database, root in
            let ca = try TestCertificateAuthority().writeCertificate(to: root)
            let (record, bundle) = try await ComSatEnrolment(name: "edge-eu.1", url: "mqtts://comsat.example.org:8884", caFile: ca)
                .enrol(home: home, store: database, logger: ControllerFixtures.logger)
            #expect(try await database.comsat(named: "edge-eu.1")?.id == record.id)
            #expect(record.url == "mqtts://comsat.example.org:8884")
            #expect(record.responseKey == nil)
            #expect(bundle.comsatID == record.id)
            let secret = try home.comsatCredential(for: record.id)
            let options = Dictionary(uniqueKeysWithValues: bundle.pluginOptions)
            #expect(options["controller_secret_hash"] == secret.hash.description)
            #expect(options["controller_username"] == record.controllerUsername)
            #expect(options["controller_client_id"] == record.controllerClientID)
            #expect(options["controller_id"] == home.controllerID.description)
            #expect(options["controller_public_key"] == home.signingKey.publicKey.description)
            #expect(options["comsat_id"] == record.id.description)
            #expect(!bundle.configurationLines.contains(secret.text))
            #expect(bundle.configurationLines.hasPrefix("plugin_opt_controller_username controller\n"))
        }
    }

    @Test func refusesBadNamesURLsAndCAFilesAndLeavesNothingBehind() async throws {
        try await withHome { home, database, root in
            await expectRefusal(ComSatEnrolment(name: "bad name", url: "mqtt://h:1"), .invalidName, home: home, database: database)
            await expectRefusal(ComSatEnrolment(name: "", url: "mqtt://h:1"), .invalidName, home: home, database: database)
            await expectRefusal(ComSatEnrolment(name: "x", url: "tcp://h:1"), .invalidURL, home: home, database: database)
            await expectRefusal(ComSatEnrolment(name: "x", url: "mqtts://h:1"), .invalidURL, home: home, database: database)
            await expectRefusal(
                ComSatEnrolment(name: "x", url: "mqtts://h:1", caFile: root + "/missing.pem"), .fileMissing, home: home,
                database: database)
            await expectRefusal(
                ComSatEnrolment(name: "x", url: "mqtt://h:1", caFile: root + "/missing.pem"), .invalidURL, home: home,
                database: database)
            _ = try await ComSatEnrolment(name: "taken", url: "mqtt://h:1")
                .enrol(home: home, store: database, logger: ControllerFixtures.logger)
            await expectRefusal(ComSatEnrolment(name: "taken", url: "mqtt://h:2"), .nameTaken, home: home, database: database)
            #expect(try await database.comsats().map(\.name) == ["taken"])
            // Only the one enrolled ComSat has a credential file.
            let files = try FileManager.default.contentsOfDirectory(atPath: home.path + "/comsat")
            #expect(files.count == 1)
        }
    }
}
