/// Everything a newly accepted agent needs to run: who it is, whom to trust, where to connect.
///
/// The agent's MQTT username and client id are its `agentID`; its password is the secret it
/// chose and whose hash it sent. The controller's signing key travels in the enclosing
/// `ProvisioningResponse` (checked against the key's fingerprint); its agreement key is here.
public struct ProvisioningAssignment: Sendable, Hashable {
    public static let maximumURLLength = 1_024
    public static let maximumCertificateLength = 64 * 1_024

    public var agentID: OpaqueID
    /// Must equal the envelope's sender id: the id the agent pins with the signing key.
    public var controllerID: OpaqueID
    public var controllerAgreementKey: AgreementPublicKey
    /// The agent's home ComSat, e.g. `mqtts://comsat-1.example:8883`.
    public var comsatURL: String
    /// PEM of the CA that issued the ComSat's certificate, when the agent should not rely on
    /// the one it was provisioned with.
    public var certificateAuthorityPEM: String?
    /// Where the agent receives commands: `c/<level>`.
    public var commandTopic: String
    /// Where the agent publishes acknowledgements and status: `r/<level>`.
    public var replyTopic: String

    public init(
        agentID: OpaqueID, controllerID: OpaqueID, controllerAgreementKey: AgreementPublicKey,
        comsatURL: String, certificateAuthorityPEM: String? = nil, commandTopic: String, replyTopic: String
    ) {
        self.agentID = agentID
        self.controllerID = controllerID
        self.controllerAgreementKey = controllerAgreementKey
        self.comsatURL = comsatURL
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.commandTopic = commandTopic
        self.replyTopic = replyTopic
    }
}
