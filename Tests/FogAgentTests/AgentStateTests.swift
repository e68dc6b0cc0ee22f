import FogAgent
import FogCore
import FogTestSupport
import Foundation
import Testing

@Suite struct AgentStateTests {
    private func sample() -> AgentState {
        AgentState(
            agentID: OpaqueID(), signingKey: SigningKey(), agreementKey: AgreementKey(), secret: Secret(),
            controllerID: OpaqueID(), controllerSigningKey: SigningKey().publicKey,
            controllerAgreementKey: AgreementKey().publicKey, comsatURL: "mqtts://comsat.example:8883",
            certificateAuthorityPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            commandTopic: "c/\(OpaqueID())", replyTopic: "r/\(OpaqueID())")
    }

    private func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func savesOwnerOnlyFilesAndLoadsThemBack() throws {
        let temporary = try TemporaryDirectory(prefix: "agent-state")
        defer { temporary.remove() }
        let directory = temporary.path + "/state"
        let state = sample()
        try AgentState.prepare(directory)
        #expect(!AgentState.isProvisioned(directory))
        try state.save(to: directory)
        #expect(AgentState.isProvisioned(directory))
        #expect(try mode(directory) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.count == 5)
        for file in files {
            #expect(try mode(directory + "/" + file) == 0o600, "\(file)")
        }
        let loaded = try AgentState.load(from: directory)
        #expect(loaded.agentID == state.agentID)
        #expect(loaded.signingKey.rawRepresentation == state.signingKey.rawRepresentation)
        #expect(loaded.agreementKey.rawRepresentation == state.agreementKey.rawRepresentation)
        #expect(loaded.secret == state.secret)
        #expect(loaded.controllerID == state.controllerID)
        #expect(loaded.controllerSigningKey == state.controllerSigningKey)
        #expect(loaded.controllerAgreementKey == state.controllerAgreementKey)
        #expect(loaded.comsatURL == state.comsatURL)
        #expect(loaded.certificateAuthorityPEM == state.certificateAuthorityPEM)
        #expect(loaded.commandTopic == state.commandTopic)
        #expect(loaded.replyTopic == state.replyTopic)
        // The public identity file holds no private material.
        let identity = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/agent.json")))
        #expect(!identity.containsRun(state.signingKey.rawRepresentation))
        #expect(!identity.containsRun(Array(state.secret.text.utf8)))
        #expect(throws: AgentStateError.self) { try AgentState.prepare(directory) }
    }

    @Test func reportsMissingCorruptAndTooOpenFiles() throws {
        let temporary = try TemporaryDirectory(prefix: "agent-state")
        defer { temporary.remove() }
        let directory = temporary.path + "/state"
        func loadError() -> AgentStateError.Code? {
            do {
                _ = try AgentState.load(from: directory)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(loadError() == .fileMissing)
        try sample().save(to: directory)
        #expect(loadError() == nil)

        #expect(chmod(directory + "/signing.key", 0o644) == 0)
        #expect(loadError() == .permissionsTooOpen)
        #expect(chmod(directory + "/signing.key", 0o600) == 0)
        #expect(chmod(directory, 0o755) == 0)
        #expect(loadError() == .permissionsTooOpen)
        #expect(throws: AgentStateError.self) { try AgentState.prepare(directory) }
        #expect(chmod(directory, 0o700) == 0)

        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/signing.key"))
        #expect(chmod(directory + "/signing.key", 0o600) == 0)
        #expect(loadError() == .fileCorrupt)
        try sample().save(to: directory)
        try Data("{\"agentID\": 1}".utf8).write(to: URL(fileURLWithPath: directory + "/agent.json"))
        #expect(chmod(directory + "/agent.json", 0o600) == 0)
        #expect(loadError() == .fileCorrupt)
        try FileManager.default.removeItem(atPath: directory + "/mqtt.secret")
        try sample().save(to: directory)
        try FileManager.default.removeItem(atPath: directory + "/mqtt.secret")
        #expect(loadError() == .fileMissing)
    }
}
