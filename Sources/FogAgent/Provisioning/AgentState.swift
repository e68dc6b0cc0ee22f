public import FogCore
internal import Foundation

/// Everything a provisioned agent knows, kept in its state directory.
///
/// Layout (directory 0700, every file 0600, each written atomically):
///
/// | file | contents |
/// |---|---|
/// | `signing.key` | the agent's Ed25519 private key, 32 raw bytes |
/// | `agreement.key` | the agent's X25519 private key, 32 raw bytes |
/// | `mqtt.secret` | the agent's MQTT password (text form) |
/// | `comsat-ca.pem` | the CA that signed the home ComSat's certificate, when TLS is used |
/// | `agent.json` | ids, the pinned controller keys, the home ComSat URL and topics (public) |
///
/// `agent.json` is written last: its presence is what makes a directory "provisioned", so
/// a crash half-way leaves a directory that `load` reports as not provisioned.
public struct AgentState: Sendable {
    static let identityFile = "agent.json"
    static let signingKeyFile = "signing.key"
    static let agreementKeyFile = "agreement.key"
    static let secretFile = "mqtt.secret"
    static let certificateFile = "comsat-ca.pem"

    public var agentID: OpaqueID
    public var signingKey: SigningKey
    public var agreementKey: AgreementKey
    /// The agent's MQTT password; only its hash ever left the node.
    public var secret: Secret
    /// The controller the agent trusts, pinned at provisioning: commands must come from
    /// this id, signed by this key.
    public var controllerID: OpaqueID
    public var controllerSigningKey: SigningPublicKey
    public var controllerAgreementKey: AgreementPublicKey
    public var comsatURL: String
    public var certificateAuthorityPEM: String?
    public var commandTopic: String
    public var replyTopic: String

    public init(
        agentID: OpaqueID, signingKey: SigningKey, agreementKey: AgreementKey, secret: Secret, controllerID: OpaqueID,
        controllerSigningKey: SigningPublicKey, controllerAgreementKey: AgreementPublicKey, comsatURL: String,
        certificateAuthorityPEM: String?, commandTopic: String, replyTopic: String
    ) {
        self.agentID = agentID
        self.signingKey = signingKey
        self.agreementKey = agreementKey
        self.secret = secret
        self.controllerID = controllerID
        self.controllerSigningKey = controllerSigningKey
        self.controllerAgreementKey = controllerAgreementKey
        self.comsatURL = comsatURL
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.commandTopic = commandTopic
        self.replyTopic = replyTopic
    }

    /// The public part, as stored in `agent.json`.
    private struct Identity: Codable {
        var agentID: OpaqueID
        var controllerID: OpaqueID
        var controllerSigningKey: SigningPublicKey
        var controllerAgreementKey: AgreementPublicKey
        var comsatURL: String
        var commandTopic: String
        var replyTopic: String
    }

    /// Path of the CA file in `directory`, for the MQTT client's TLS settings.
    public static func certificatePath(in directory: String) -> String {
        directory + "/" + certificateFile
    }

    /// True once `directory` holds a complete state.
    public static func isProvisioned(_ directory: String) -> Bool {
        StateFile.exists(directory + "/" + identityFile)
    }

    /// Creates `directory` (0700) if needed and refuses one that already holds an agent.
    public static func prepare(_ directory: String) throws(AgentStateError) {
        try StateFile.prepareDirectory(directory)
        guard !isProvisioned(directory) else {
            throw AgentStateError(
                code: .alreadyProvisioned,
                message: "already holds a provisioned agent; use another --state directory or remove this one",
                path: directory)
        }
    }

    /// Writes the state; the private files first, `agent.json` last.
    public func save(to directory: String) throws(AgentStateError) {
        try StateFile.prepareDirectory(directory)
        try StateFile.write(signingKey.rawRepresentation, to: directory, name: Self.signingKeyFile)
        try StateFile.write(agreementKey.rawRepresentation, to: directory, name: Self.agreementKeyFile)
        try StateFile.write(Array(secret.text.utf8), to: directory, name: Self.secretFile)
        if let certificateAuthorityPEM {
            try StateFile.write(Array(certificateAuthorityPEM.utf8), to: directory, name: Self.certificateFile)
        }
        let identity = Identity(
            agentID: agentID, controllerID: controllerID, controllerSigningKey: controllerSigningKey,
            controllerAgreementKey: controllerAgreementKey, comsatURL: comsatURL, commandTopic: commandTopic,
            replyTopic: replyTopic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data
        do {
            json = try encoder.encode(identity)
        } catch {
            throw AgentStateError(
                code: .ioFailed, message: "cannot encode the agent identity", path: directory + "/" + Self.identityFile)
        }
        try StateFile.write(Array(json) + [0x0A], to: directory, name: Self.identityFile)
    }

    /// Reads and checks the state in `directory`.
    /// - Throws: `.fileMissing` when not provisioned, `.permissionsTooOpen` when the directory
    ///   or a file is group/other accessible, `.fileCorrupt` when a file does not decode.
    public static func load(from directory: String) throws(AgentStateError) -> AgentState {
        try StateFile.checkPrivate(directory, directory: true)
        let identityPath = directory + "/" + identityFile
        let identity: Identity
        do {
            identity = try JSONDecoder().decode(
                Identity.self, from: Data(try StateFile.read(directory, name: identityFile)))
        } catch let error as AgentStateError {
            throw error
        } catch {
            throw AgentStateError(code: .fileCorrupt, message: "does not decode as an agent identity", path: identityPath)
        }
        let signingKey: SigningKey
        let agreementKey: AgreementKey
        let secret: Secret
        do {
            signingKey = try SigningKey(rawRepresentation: try StateFile.read(directory, name: signingKeyFile))
        } catch let error as AgentStateError {
            throw error
        } catch {
            throw corrupt(directory, signingKeyFile, "is not a 32-byte Ed25519 private key")
        }
        do {
            agreementKey = try AgreementKey(rawRepresentation: try StateFile.read(directory, name: agreementKeyFile))
        } catch let error as AgentStateError {
            throw error
        } catch {
            throw corrupt(directory, agreementKeyFile, "is not a 32-byte X25519 private key")
        }
        let secretBytes = try StateFile.read(directory, name: secretFile)
        do {
            secret = try Secret(text: String(decoding: secretBytes, as: UTF8.self))
        } catch {
            throw corrupt(directory, secretFile, "is not an MQTT secret")
        }
        var certificate: String?
        if StateFile.exists(certificatePath(in: directory)) {
            certificate = String(decoding: try StateFile.read(directory, name: certificateFile), as: UTF8.self)
        }
        for topic in [identity.commandTopic, identity.replyTopic] where ComSatTopic.prefix(of: topic.utf8) == nil {
            throw corrupt(directory, identityFile, "names an invalid topic")
        }
        return AgentState(
            agentID: identity.agentID, signingKey: signingKey, agreementKey: agreementKey, secret: secret,
            controllerID: identity.controllerID, controllerSigningKey: identity.controllerSigningKey,
            controllerAgreementKey: identity.controllerAgreementKey, comsatURL: identity.comsatURL,
            certificateAuthorityPEM: certificate, commandTopic: identity.commandTopic, replyTopic: identity.replyTopic)
    }

    private static func corrupt(_ directory: String, _ name: String, _ message: String) -> AgentStateError {
        AgentStateError(code: .fileCorrupt, message: message, path: directory + "/" + name)
    }
}
