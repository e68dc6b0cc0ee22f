internal import Crypto

/// An Ed25519 private key: the controller's fabric key, or an agent's or ComSat's own.
///
/// Generated on the node that uses it and never sent anywhere; `description` shows only the
/// public half.
public struct SigningKey: Sendable {
    public static let byteCount = 32
    /// Size of a signature.
    public static let signatureByteCount = 64

    private let key: Curve25519.Signing.PrivateKey

    /// A fresh key from the system's cryptographic random number generator.
    public init() {
        key = Curve25519.Signing.PrivateKey()
    }

    /// Restores a key from its 32-byte seed (`rawRepresentation`).
    public init(rawRepresentation bytes: [UInt8]) throws(KeyError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidSize("Ed25519 private key", expected: Self.byteCount, actual: bytes.count)
        }
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw KeyError(code: .invalidKey, message: "not a usable Ed25519 private key")
        }
    }

    /// The 32-byte seed. Handle with care: this is the secret.
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: SigningPublicKey { SigningPublicKey(key.publicKey) }

    /// Signs `message`; 64 bytes.
    public func signature(for message: [UInt8]) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            // BoringSSL's ED25519_sign cannot fail for a well-formed key, which the
            // initialisers guarantee; reaching here means the crypto library is broken.
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
    }
}

extension SigningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SigningKey(public: \(publicKey))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
