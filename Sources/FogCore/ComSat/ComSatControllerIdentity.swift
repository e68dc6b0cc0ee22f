/// What a ComSat must know about its controller, and what the controller keeps to act as
/// that principal: MQTT username, client id and secret, and the envelope id and signing key.
///
/// The controller creates one at enrolment of a ComSat (or once for all of them) and hands
/// the ComSat `pluginOptions(...)`; tests and benchmarks make throwaway ones the same way.
public struct ComSatControllerIdentity: Sendable {
    public var id: OpaqueID
    public var signingKey: SigningKey
    public var username: String
    public var clientID: String
    /// The controller's MQTT password on the ComSat; only its hash goes to the ComSat.
    public var secret: Secret

    public init(
        username: String = "controller", clientID: String = "controller", id: OpaqueID = OpaqueID(),
        signingKey: SigningKey = SigningKey(), secret: Secret = Secret()
    ) {
        self.id = id
        self.signingKey = signingKey
        self.username = username
        self.clientID = clientID
        self.secret = secret
    }

    /// The `plugin_opt_*` settings (names without the prefix) for a ComSat with id
    /// `comsatID` that trusts this controller. Contains no secret: only the secret's hash
    /// and the public key.
    public func pluginOptions(
        comsatID: OpaqueID, grantStore: String, identityKeyFile: String
    ) -> [(String, String)] {
        [
            ("controller_username", username),
            ("controller_client_id", clientID),
            ("controller_secret_hash", secret.hash.description),
            ("controller_public_key", signingKey.publicKey.description),
            ("controller_id", id.description),
            ("comsat_id", comsatID.description),
            ("grant_store", grantStore),
            ("identity_key_file", identityKeyFile),
        ]
    }

    /// A codec for talking to the ComSat `comsatID` whose identity key is `comsatKey`.
    public func controlCodec(comsatID: OpaqueID, comsatKey: SigningPublicKey) -> ComSatControlCodec {
        ComSatControlCodec(controllerID: id, signingKey: signingKey, comsatID: comsatID, comsatKey: comsatKey)
    }
}
