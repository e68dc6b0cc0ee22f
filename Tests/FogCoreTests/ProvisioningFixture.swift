import FogCore

/// A controller that issued a provisioning key and an agent holding it, with fresh keys,
/// at a fixed time.
struct ProvisioningFixture {
    static let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)

    let controllerID = OpaqueID()
    let controllerSigningKey = SigningKey()
    let controllerAgreementKey = AgreementKey()
    let key: ProvisioningKey
    let agentSigningKey = SigningKey()
    let agentAgreementKey = AgreementKey()
    let agentSecret = Secret()
    let agentID = OpaqueID()
    let assignment: ProvisioningAssignment

    init() {
        key = ProvisioningKey(
            expiry: Self.now.advanced(by: .seconds(1_200)), controllerKey: controllerSigningKey.publicKey)
        assignment = ProvisioningAssignment(
            agentID: agentID, controllerID: controllerID, controllerAgreementKey: controllerAgreementKey.publicKey,
            comsatURL: "mqtts://comsat-1.example:8883",
            certificateAuthorityPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            commandTopic: ComSatTopic.topic(.agentCommand, OpaqueID()),
            replyTopic: ComSatTopic.topic(.agentReply, OpaqueID()))
    }

    var responder: ProvisioningResponder {
        ProvisioningResponder(controllerID: controllerID, signingKey: controllerSigningKey)
    }

    func requester(name: String? = "sensor-7", labels: [String: String] = ["site": "north"]) throws
        -> ProvisioningRequester
    {
        try ProvisioningRequester(
            key: key, signingKey: agentSigningKey, agreementKey: agentAgreementKey, secretHash: agentSecret.hash,
            name: name, labels: labels, now: Self.now)
    }
}
