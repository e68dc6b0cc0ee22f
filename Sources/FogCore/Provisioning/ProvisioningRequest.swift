/// What a new agent sends the controller, on `q/<key id>`, to become an agent.
///
/// Carries only public material: the agent's own freshly generated public keys and the hash
/// of the MQTT secret it chose (the secret itself never leaves the node). The envelope is
/// signed by the agent's new signing key, which proves the sender holds its private half,
/// and its sender id is the provisioning key id, which the ComSat already authenticated.
///
/// Body layout (big-endian):
///
///     32   agent Ed25519 public key
///     32   agent X25519 public key
///     32   SHA-256 of the agent's MQTT secret text
///     2+n  requested name, UTF-8, 0...64 bytes (empty = let the controller choose)
///     2    label count, 0...32
///          each: 2+n key (1...64 bytes), 2+n value (0...256 bytes), keys strictly ascending
public struct ProvisioningRequest: Sendable, Hashable {
    public static let maximumNameLength = 64
    public static let maximumLabelCount = 32
    public static let maximumLabelKeyLength = 64
    public static let maximumLabelValueLength = 256

    public var signingKey: SigningPublicKey
    public var agreementKey: AgreementPublicKey
    public var secretHash: SecretHash
    /// The name the agent asks for; nil leaves it to the controller (or the operator's
    /// `fogctl agent add NAME`).
    public var name: String?
    public var labels: [String: String]

    public init(
        signingKey: SigningPublicKey, agreementKey: AgreementPublicKey, secretHash: SecretHash,
        name: String? = nil, labels: [String: String] = [:]
    ) {
        self.signingKey = signingKey
        self.agreementKey = agreementKey
        self.secretHash = secretHash
        self.name = name
        self.labels = labels
    }

    /// The body bytes.
    /// - Throws: `CodecError` when the name or a label exceeds its limit.
    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.writeBytes(signingKey.rawRepresentation)
        writer.writeBytes(agreementKey.rawRepresentation)
        secretHash.write(to: &writer)
        if name == "" {
            throw CodecError(code: .invalidValue, offset: writer.count, message: "requested name is empty (use nil)")
        }
        try WireText.write(name ?? "", field: "requested name", maximum: Self.maximumNameLength, to: &writer)
        try WireText.writeMap(
            labels, field: "labels", maximumCount: Self.maximumLabelCount, maximumKey: Self.maximumLabelKeyLength,
            maximumValue: Self.maximumLabelValueLength, to: &writer)
        return writer.bytes
    }

    /// Decodes a body strictly: exact sizes, valid keys, limits, canonical label order,
    /// nothing trailing.
    public init(decoding bytes: [UInt8]) throws(CodecError) {
        var reader = ByteReader(bytes)
        signingKey = try WireText.readSigningKey(from: &reader, field: "agent signing key")
        agreementKey = try WireText.readAgreementKey(from: &reader, field: "agent agreement key")
        secretHash = try SecretHash(from: &reader)
        let name = try WireText.read(from: &reader, field: "requested name", maximum: Self.maximumNameLength)
        self.name = name.isEmpty ? nil : name
        labels = try WireText.readMap(
            from: &reader, field: "labels", maximumCount: Self.maximumLabelCount,
            maximumKey: Self.maximumLabelKeyLength, maximumValue: Self.maximumLabelValueLength)
        try reader.expectEnd()
    }
}
