internal import Crypto

/// An Ed25519 public key, pinned by receivers to verify a sender's signatures.
///
/// Its text form is 43 base64url symbols, for configuration files and provisioning output.
public struct SigningPublicKey: Sendable {
    public static let byteCount = 32

    private let key: Curve25519.Signing.PublicKey
    /// Kept alongside `key` so equality, hashing and export need no conversion.
    public let rawRepresentation: [UInt8]

    init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
        rawRepresentation = Array(key.rawRepresentation)
    }

    public init(rawRepresentation bytes: [UInt8]) throws(KeyError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidSize("Ed25519 public key", expected: Self.byteCount, actual: bytes.count)
        }
        do {
            self.init(try Curve25519.Signing.PublicKey(rawRepresentation: bytes))
        } catch {
            throw KeyError(code: .invalidKey, message: "not a usable Ed25519 public key")
        }
    }

    /// Parses the base64url text form.
    public init(text: some StringProtocol) throws(KeyError) {
        let bytes: [UInt8]
        do {
            bytes = try Base64URL.decode(text)
        } catch {
            throw .invalidEncoding("Ed25519 public key", error)
        }
        try self.init(rawRepresentation: bytes)
    }

    /// True when `signature` is this key's Ed25519 signature of `message`.
    /// Non-canonical signatures (S ≥ ℓ) are rejected, so a valid signature cannot be
    /// altered into another valid one.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == SigningKey.signatureByteCount else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

extension SigningPublicKey: Hashable {
    public static func == (lhs: SigningPublicKey, rhs: SigningPublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }
}

extension SigningPublicKey: CustomStringConvertible {
    /// Base64url text form.
    public var description: String { Base64URL.encode(rawRepresentation) }
}

extension SigningPublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SigningPublicKey(text: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
