internal import Crypto

/// A short, collision-resistant name for the controller's Ed25519 public key, carried in a
/// provisioning key so the agent can recognise the controller's answer.
///
/// 128 bits of SHA-256 over a label and the key: finding another key with the same
/// fingerprint is a second-preimage search of 2¹²⁸ work, the same security level as Ed25519
/// itself, while keeping the operator's token short. The label keeps this hash distinct
/// from any other hash of the same key.
public struct ControllerKeyFingerprint: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    static let label: [UInt8] = Array("FogFabric controller key fingerprint v1".utf8)

    /// The 16 raw bytes.
    public let bytes: [UInt8]

    public init(of key: SigningPublicKey) {
        var hasher = SHA256()
        hasher.update(data: Self.label)
        hasher.update(data: key.rawRepresentation)
        bytes = Array(hasher.finalize().prefix(Self.byteCount))
    }

    /// The fingerprint whose raw form is `bytes`; nil unless exactly 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// True when `key` is the key this fingerprint names.
    public func matches(_ key: SigningPublicKey) -> Bool {
        ControllerKeyFingerprint(of: key) == self
    }

    /// Lowercase hex: public, safe to log and to compare by eye with `fogctl` output.
    public var description: String { Hex.encode(bytes) }
}
