internal import Crypto

/// An X25519 public key that envelopes can be sealed to.
///
/// Construction rejects low-order points (an all-zero shared secret would make the sealing
/// key public), so sealing to any `AgreementPublicKey` cannot fail. Text form: 43 base64url
/// symbols.
public struct AgreementPublicKey: Sendable {
    public static let byteCount = 32

    let key: Curve25519.KeyAgreement.PublicKey
    /// Kept alongside `key` so equality, hashing and export need no conversion.
    public let rawRepresentation: [UInt8]

    init(validated key: Curve25519.KeyAgreement.PublicKey) {
        self.key = key
        rawRepresentation = Array(key.rawRepresentation)
    }

    public init(rawRepresentation bytes: [UInt8]) throws(KeyError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidSize("X25519 public key", expected: Self.byteCount, actual: bytes.count)
        }
        let key: Curve25519.KeyAgreement.PublicKey
        do {
            key = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes)
        } catch {
            throw KeyError(code: .invalidKey, message: "not a usable X25519 public key")
        }
        // X25519 with a clamped scalar yields all zeros exactly for small-order points,
        // whichever scalar is used, so one probe agreement classifies the point.
        _ = try AgreementKey.sharedSecret(Self.probe, key)
        self.init(validated: key)
    }

    /// Parses the base64url text form.
    public init(text: some StringProtocol) throws(KeyError) {
        let bytes: [UInt8]
        do {
            bytes = try Base64URL.decode(text)
        } catch {
            throw .invalidEncoding("X25519 public key", error)
        }
        try self.init(rawRepresentation: bytes)
    }

    private static let probe = Curve25519.KeyAgreement.PrivateKey()
}

extension AgreementPublicKey: Hashable {
    public static func == (lhs: AgreementPublicKey, rhs: AgreementPublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }
}

extension AgreementPublicKey: CustomStringConvertible {
    /// Base64url text form.
    public var description: String { Base64URL.encode(rawRepresentation) }
}

extension AgreementPublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try AgreementPublicKey(text: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
