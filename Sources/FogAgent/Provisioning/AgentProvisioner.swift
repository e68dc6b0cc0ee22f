internal import FogCore
internal import FogMQTT
internal import Foundation
public import Logging

/// The agent's side of provisioning (`fog-agent provision`).
///
/// Generates the agent's Ed25519 and X25519 keys and its MQTT secret on this node (only
/// public keys and the secret's hash are sent), connects to the ComSat as the provisioning
/// key's principal, publishes the signed request and waits for the controller's answer,
/// which it verifies against the controller fingerprint in the key. With no answer it
/// publishes the same request again (same nonce), so a controller that already accepted it
/// answers with the same acceptance. On acceptance the state is written to the state
/// directory; nothing is written on failure except the (empty) directory.
public struct AgentProvisioner: Sendable {
    public var stateDirectory: String
    public var configuration: AgentProvisioningConfiguration
    private let logger: Logger

    public init(stateDirectory: String, configuration: AgentProvisioningConfiguration = .init(), logger: Logger) {
        self.stateDirectory = stateDirectory
        self.configuration = configuration
        self.logger = logger
    }

    /// Provisions with `token` through the ComSat at `comsatURL`, trusting the CA in
    /// `caFile` for its certificate.
    public func provision(
        token: String, comsatURL: String, caFile: String?
    ) async throws(AgentProvisioningError) -> AgentState {
        let key: ProvisioningKey
        do {
            key = try ProvisioningKey(token: token)
        } catch {
            throw AgentProvisioningError(
                .invalidKey, error.message, hint: "copy the whole key printed by 'fogctl agent add' (it starts with 'fogkey1.')")
        }
        do {
            try key.checkUsable()
        } catch {
            throw Self.expired(key.id, error.message)
        }
        let address = try ComSatURL(provisioningFrom: comsatURL)
        let caPEM = try Self.readCertificateAuthority(caFile, address: address)
        do {
            try AgentState.prepare(stateDirectory)
        } catch {
            throw AgentProvisioningError(
                .stateFailed, "state directory \(stateDirectory): \(error.message)",
                hint: error.code == .alreadyProvisioned
                    ? "this node is already provisioned; remove \(stateDirectory) first to provision it again"
                    : "check the --state directory and its permissions", keyID: key.id, stateError: error)
        }

        let signingKey = SigningKey()
        let agreementKey = AgreementKey()
        let secret = Secret()
        let requester: ProvisioningRequester
        do {
            requester = try ProvisioningRequester(
                key: key, signingKey: signingKey, agreementKey: agreementKey, secretHash: secret.hash,
                clockSkew: configuration.clockSkew)
        } catch {
            throw Self.expired(key.id, error.message)
        }
        var logger = logger
        logger[metadataKey: "fog.provisioning_key.id"] = "\(key.id)"
        let client = MQTTClient(
            configuration: MQTTConfiguration(
                host: address.host, port: address.port, clientID: key.username, username: key.username,
                password: key.secret.text, tls: address.usesTLS ? caFile.map { MQTTTLSConfiguration(caFile: $0) } : nil,
                cleanStart: true, sessionExpiry: 0, reconnect: configuration.reconnect,
                connectTimeout: configuration.connectTimeout,
                operationTimeout: configuration.connectTimeout),
            logger: logger)
        let assignment: ProvisioningAssignment
        let controllerSigningKey: SigningPublicKey
        do {
            try await connect(client, address: address, keyID: key.id)
            (assignment, controllerSigningKey) = try await exchange(requester, client: client, logger: logger)
        } catch {
            await client.disconnect()
            throw error
        }
        await client.disconnect()

        let state = AgentState(
            agentID: assignment.agentID, signingKey: signingKey, agreementKey: agreementKey, secret: secret,
            controllerID: assignment.controllerID, controllerSigningKey: controllerSigningKey,
            controllerAgreementKey: assignment.controllerAgreementKey, comsatURL: assignment.comsatURL,
            certificateAuthorityPEM: assignment.certificateAuthorityPEM ?? caPEM, commandTopic: assignment.commandTopic,
            replyTopic: assignment.replyTopic)
        do {
            try state.save(to: stateDirectory)
        } catch {
            throw AgentProvisioningError(
                .stateFailed, "accepted as agent \(assignment.agentID), but the state could not be written: \(error.message)",
                hint: "fix \(error.path) and ask the operator for a new key", keyID: key.id, stateError: error)
        }
        logger.notice(
            "provisioned", metadata: ["fog.agent.id": "\(assignment.agentID)", "fog.controller.id": "\(assignment.controllerID)"])
        return state
    }
}
