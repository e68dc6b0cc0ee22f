import FogController
import FogCore
import FogTestSupport
import Foundation
import Testing

@Suite struct ControllerHomeTests {
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try TemporaryDirectory(prefix: "controller-home")
        defer { directory.remove() }
        try body(directory.path)
    }

    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    private func expectError(
        _ code: ControllerError.Code, path: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as ControllerError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == path, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func initializeCreatesPrivateFilesThatOpenReads() throws {
        try withDirectory { root in
            let path = root + "/home"
            let (home, token) = try ControllerHome.initialize(at: path)
            #expect(try mode(path) == 0o700)
            for file in ["controller.id", "signing.key", "agreement.key", "admin.token", "admin.token.sha256"] {
                #expect(try mode(path + "/" + file) == 0o600, "\(file)")
            }
            let opened = try ControllerHome.open(at: path + "/")
            #expect(opened.controllerID == home.controllerID)
            #expect(opened.signingKey.publicKey == home.signingKey.publicKey)
            #expect(opened.agreementKey.publicKey == home.agreementKey.publicKey)
            #expect(opened.databasePath == path + "/controller.sqlite")
            #expect(opened.verifyAdminToken(token.text))
            #expect(!opened.verifyAdminToken(Secret().text))
            // The operator's copy of the token is the token; the controller only uses its hash.
            let tokenFile = try String(contentsOfFile: opened.adminTokenPath, encoding: .utf8)
            #expect(tokenFile == token.text + "\n")
            try FileManager.default.removeItem(atPath: opened.adminTokenPath)
            #expect(try ControllerHome.open(at: path).verifyAdminToken(token.text))
        }
    }

    @Test func initializeRefusesAnExistingPath() throws {
        try withDirectory { root in
            let path = root + "/home"
            let (home, _) = try ControllerHome.initialize(at: path)
            expectError(.homeExists, path: path) { _ = try ControllerHome.initialize(at: path) }
            #expect(try ControllerHome.open(at: path).controllerID == home.controllerID)
        }
    }

    @Test func openReportsMissingCorruptAndTooOpenFiles() throws {
        try withDirectory { root in
            let path = root + "/home"
            expectError(.homeMissing, path: path) { _ = try ControllerHome.open(at: path) }
            _ = try ControllerHome.initialize(at: path)
            let signing = path + "/signing.key"
            let original = try Data(contentsOf: URL(fileURLWithPath: signing))

            try FileManager.default.removeItem(atPath: signing)
            expectError(.fileMissing, path: signing) { _ = try ControllerHome.open(at: path) }

            try Data(original.prefix(31)).write(to: URL(fileURLWithPath: signing))
            chmod(signing, 0o600)
            expectError(.fileCorrupt, path: signing) { _ = try ControllerHome.open(at: path) }

            try original.write(to: URL(fileURLWithPath: signing))
            chmod(signing, 0o644)
            expectError(.permissionsTooOpen, path: signing) { _ = try ControllerHome.open(at: path) }
            chmod(signing, 0o600)

            // Tests run as root, which reads any file: a directory in the key's place is
            // what makes it unreadable here.
            let agreement = path + "/agreement.key"
            try FileManager.default.removeItem(atPath: agreement)
            mkdir(agreement, 0o700)
            expectError(.fileUnreadable, path: agreement) { _ = try ControllerHome.open(at: path) }
            rmdir(agreement)
            try Data(AgreementKey().rawRepresentation).write(to: URL(fileURLWithPath: agreement))
            chmod(agreement, 0o600)

            try "not-an-id\n".write(toFile: path + "/controller.id", atomically: false, encoding: .utf8)
            chmod(path + "/controller.id", 0o600)
            expectError(.fileCorrupt, path: path + "/controller.id") { _ = try ControllerHome.open(at: path) }
            try (OpaqueID().description + "\n").write(toFile: path + "/controller.id", atomically: false, encoding: .utf8)

            chmod(path, 0o755)
            expectError(.permissionsTooOpen, path: path) { _ = try ControllerHome.open(at: path) }
            chmod(path, 0o700)
            _ = try ControllerHome.open(at: path)
        }
    }

    @Test func comsatCredentialsArePrivateFiles() throws {
        try withDirectory { root in
            let (home, _) = try ControllerHome.initialize(at: root + "/home")
            let comsatID = OpaqueID()
            let secret = Secret()
            try home.storeComSatCredential(secret, for: comsatID)
            #expect(try home.comsatCredential(for: comsatID) == secret)
            #expect(try mode(home.comsatCredentialPath(for: comsatID)) == 0o600)
            home.removeComSatCredential(for: comsatID)
            expectError(.fileMissing, path: home.comsatCredentialPath(for: comsatID)) {
                _ = try home.comsatCredential(for: comsatID)
            }
        }
    }
}
