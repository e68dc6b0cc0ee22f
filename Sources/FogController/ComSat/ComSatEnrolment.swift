public import FogCore
public import Logging

/// Enrols a ComSat: validates its name, URL and CA file, records it, creates the
/// controller's MQTT credential for it and produces the broker's plugin settings.
///
/// The credential is generated here because the controller is the party that uses it; the
/// secret goes to the controller's home (0600, `ControllerHome.comsatCredential(for:)`) so
/// it can reconnect after a restart, and only its hash goes into the bundle.
///
/// The ComSat's response key is created by the plugin at its first start, so it usually
/// cannot be known now; pass it as `responseKey` when the ComSat already ran (or re-enrol),
/// otherwise pin it afterwards with `ControllerStore.pinResponseKey`. Either way the
/// operator copies it from the ComSat host: the file `<identity_key_file>.pub` (the
/// `plugin_opt_identity_key_file` path plus `.pub`, one base64url line), also logged by
/// the plugin at every start. Nothing is pinned on first contact, deliberately: trust in a
/// ComSat comes from outside the MQTT connection it would authenticate, and a response
/// envelope does not carry its signer's key anyway.
public struct ComSatEnrolment: Sendable {
    /// Longest ComSat name accepted.
    public static let maximumNameLength = 64
    /// Where the plugin keeps its identity key unless enrolled otherwise; its public key,
    /// the one to pin, is next to it in `<path>.pub`.
    public static let defaultIdentityKeyPath = "/var/lib/fogfabric/comsat/identity.key"

    public var name: String
    public var url: String
    /// CA certificate (PEM) that signed the ComSat's server certificate; required for mqtts.
    public var caFile: String?
    public var responseKey: SigningPublicKey?
    /// Where the plugin keeps its grant journal on the ComSat host.
    public var grantStorePath: String
    /// Where the plugin keeps its identity key on the ComSat host.
    public var identityKeyPath: String

    public init(
        name: String, url: String, caFile: String? = nil, responseKey: SigningPublicKey? = nil,
        grantStorePath: String = "/var/lib/fogfabric/comsat/grants.journal",
        identityKeyPath: String = ComSatEnrolment.defaultIdentityKeyPath
    ) {
        self.name = name
        self.url = url
        self.caFile = caFile
        self.responseKey = responseKey
        self.grantStorePath = grantStorePath
        self.identityKeyPath = identityKeyPath
    }

    /// Records the ComSat and returns its row and the bundle for its broker.
    ///
    /// - Throws: `.invalidName`, `.invalidURL`, `.fileMissing`/`.fileUnreadable` for the CA,
    ///   `.nameTaken`, or a file/database failure. On failure nothing is left behind.
    public func enrol(
        home: ControllerHome, store: some ControllerStore, logger: Logger
    ) async throws(ControllerError) -> (record: ComSatRecord, bundle: ComSatBundle) {
        guard (1...Self.maximumNameLength).contains(name.utf8.count), Grant.isValidIdentifier(name.utf8) else {
            throw ControllerError(
                .invalidName, "ComSat name '\(name)' must be 1...\(Self.maximumNameLength) characters of [A-Za-z0-9._-]")
        }
        let parsed = try ComSatURL(validating: url)
        if parsed.usesTLS {
            guard let caFile else {
                throw ControllerError(.invalidURL, "\(parsed) uses TLS: give the CA certificate that signed the ComSat's certificate")
            }
            _ = try HomeFile.read(caFile, secret: false, what: "CA certificate for ComSat '\(name)'", maximumSize: 1 << 20)
        } else if caFile != nil {
            throw ControllerError(.invalidURL, "\(parsed) is plain MQTT, a CA certificate makes no sense for it; use mqtts://")
        }
        let comsatID = OpaqueID()
        let identity = ComSatControllerIdentity(
            username: "controller", clientID: "controller-\(home.controllerID)", id: home.controllerID,
            signingKey: home.signingKey, secret: Secret())
        let record = ComSatRecord(
            id: comsatID, name: name, url: parsed.description, caFile: caFile, responseKey: responseKey,
            controllerUsername: identity.username, controllerClientID: identity.clientID)
        try home.storeComSatCredential(identity.secret, for: comsatID)
        do {
            try await store.insertComSat(record)
        } catch {
            home.removeComSatCredential(for: comsatID)
            throw error
        }
        let bundle = ComSatBundle(
            comsatID: comsatID,
            pluginOptions: identity.pluginOptions(
                comsatID: comsatID, grantStore: grantStorePath, identityKeyFile: identityKeyPath))
        logger.info(
            "enrolled ComSat",
            metadata: [
                "fog.comsat.id": "\(comsatID)", "fog.comsat.name": "\(name)", "fog.comsat.url": "\(parsed)",
                "fog.comsat.credential_hash": "\(identity.secret.hash)",
                "fog.comsat.key_pinned": "\(responseKey != nil)",
            ])
        return (record, bundle)
    }
}
