/// Why an envelope was rejected.
///
/// Each malformation and each policy failure has its own code so receivers can count and log
/// them precisely. Messages name the sender id, sizes, offsets and ages in milliseconds but
/// never key material or body bytes; every failure to unseal is the single opaque
/// `.unsealFailed`, so a peer cannot learn which step of decryption went wrong.
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case truncated, oversized, unknownVersion, badLength, malformed
            case unknownSender, signatureInvalid, unexpectedKind, wrongRecipient
            case stale, replayed, replayWindowFull, unsealFailed
        }
        private let value: Value

        /// The input ends inside the header, or before the end its length field announces.
        public static let truncated = Code(value: .truncated)
        /// The input is larger than the verifier's `maximumSize`.
        public static let oversized = Code(value: .oversized)
        /// The version byte is not one this build understands.
        public static let unknownVersion = Code(value: .unknownVersion)
        /// The body length is impossible: beyond the size limit, shorter than the AEAD tag of a
        /// sealed body, or leaving bytes after the signature.
        public static let badLength = Code(value: .badLength)
        /// Not an envelope: wrong magic byte or reserved flag bits set.
        public static let malformed = Code(value: .malformed)
        /// The sender id is not among the verifier's trusted senders.
        public static let unknownSender = Code(value: .unknownSender)
        /// The signature does not verify under the sender's pinned key.
        public static let signatureInvalid = Code(value: .signatureInvalid)
        /// The kind is not one this receiver accepts.
        public static let unexpectedKind = Code(value: .unexpectedKind)
        /// Addressed to another node, or to no node where one is required.
        public static let wrongRecipient = Code(value: .wrongRecipient)
        /// The timestamp is outside the allowed clock skew (past or future).
        public static let stale = Code(value: .stale)
        /// This (sender, nonce) was already accepted.
        public static let replayed = Code(value: .replayed)
        /// The replay window is full of live entries; accepting would mean forgetting one.
        public static let replayWindowFull = Code(value: .replayWindowFull)
        /// The sealed body could not be opened (deliberately not more specific).
        public static let unsealFailed = Code(value: .unsealFailed)

        public var description: String {
            switch value {
            case .truncated: "truncated"
            case .oversized: "oversized"
            case .unknownVersion: "unknownVersion"
            case .badLength: "badLength"
            case .malformed: "malformed"
            case .unknownSender: "unknownSender"
            case .signatureInvalid: "signatureInvalid"
            case .unexpectedKind: "unexpectedKind"
            case .wrongRecipient: "wrongRecipient"
            case .stale: "stale"
            case .replayed: "replayed"
            case .replayWindowFull: "replayWindowFull"
            case .unsealFailed: "unsealFailed"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The claimed sender, once the header has been decoded that far. Unauthenticated unless
    /// the code comes after the signature check.
    public var sender: OpaqueID?

    public init(code: Code, message: String, sender: OpaqueID? = nil) {
        self.code = code
        self.message = message
        self.sender = sender
    }

    public var description: String { "EnvelopeError.\(code): \(message)" }
}
