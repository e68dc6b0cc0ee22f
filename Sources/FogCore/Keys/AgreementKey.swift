internal import Crypto

/// An X25519 private key: envelopes sealed to its public half can only be opened with it.
///
/// Generated on the node that uses it and never sent anywhere; `description` shows only the
/// public half.
public struct AgreementKey: Sendable {
    public static let byteCount = 32

    let key: Curve25519.KeyAgreement.PrivateKey

    /// A fresh key from the system's cryptographic random number generator.
    public init() {
        key = Curve25519.KeyAgreement.PrivateKey()
    }

    /// Restores a key from its 32-byte scalar (`rawRepresentation`).
    public init(rawRepresentation bytes: [UInt8]) throws(KeyError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidSize("X25519 private key", expected: Self.byteCount, actual: bytes.count)
        }
        do {
            key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw KeyError(code: .invalidKey, message: "not a usable X25519 private key")
        }
    }

    /// The 32-byte scalar. Handle with care: this is the secret.
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: AgreementPublicKey { AgreementPublicKey(validated: key.publicKey) }

    /// X25519 with `peer`.
    func sharedSecret(with peer: AgreementPublicKey) throws(KeyError) -> SharedSecret {
        try Self.sharedSecret(key, peer.key)
    }

    /// X25519 that refuses the all-zero output of a small-order peer point. swift-crypto
    /// deliberately returns that output unchecked; a sealing key derived from it would be
    /// computable by anyone.
    static func sharedSecret(
        _ key: Curve25519.KeyAgreement.PrivateKey, _ peer: Curve25519.KeyAgreement.PublicKey
    ) throws(KeyError) -> SharedSecret {
        let secret: SharedSecret
        do {
            secret = try key.sharedSecretFromKeyAgreement(with: peer)
        } catch {
            throw KeyError(code: .invalidKey, message: "X25519 agreement failed")
        }
        let accumulated = secret.withUnsafeBytes { bytes in bytes.reduce(UInt8(0)) { $0 | $1 } }
        guard accumulated != 0 else {
            throw KeyError(code: .invalidKey, message: "X25519 peer key is a small-order point")
        }
        return secret
    }
}

extension AgreementKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AgreementKey(public: \(publicKey))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
