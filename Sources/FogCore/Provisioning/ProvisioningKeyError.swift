/// Why a provisioning key token was refused.
///
/// Messages give lengths, versions and positions, never the token: it contains the secret.
public struct ProvisioningKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The token does not start with `fogkey<version>.`: not a provisioning key at all.
        case badPrefix
        /// The token is a provisioning key of a version this build does not read.
        case unsupportedVersion
        /// The part after the prefix is not canonical base64url.
        case badEncoding
        /// The decoded key has the wrong number of bytes (symbols missing or added).
        case wrongLength
        /// The checksum does not match: the token was mistyped or truncated.
        case badChecksum
        /// The key's expiry has passed; ask the operator for a new one.
        case expired

        public var description: String {
            switch self {
            case .badPrefix: "badPrefix"
            case .unsupportedVersion: "unsupportedVersion"
            case .badEncoding: "badEncoding"
            case .wrongLength: "wrongLength"
            case .badChecksum: "badChecksum"
            case .expired: "expired"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ProvisioningKeyError.\(code): \(message)" }
}
