/// Why a frame arriving from the ComSat was not accepted.
///
/// Every refusal is a fact about the frame, never about key material: a failed
/// authentication stays one opaque code, like swift-crypto's `authenticationFailure`.
/// Messages name the link and side, never payload bytes.
public struct LinkProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case malformed, wrongSender, authenticationFailed, staleKey, replayed, notReady, tooLarge, handshakeFailed
        }
        private let value: Value

        /// The bytes do not decode as a frame of this protocol version.
        public static let malformed = Code(value: .malformed)
        /// The frame claims to come from this half's own side (a reflection).
        public static let wrongSender = Code(value: .wrongSender)
        /// A hello tag or an AEAD tag does not verify: forged or modified on the way.
        public static let authenticationFailed = Code(value: .authenticationFailed)
        /// Sealed under a key of an earlier handshake (or a hello carrying a retired key):
        /// expected after a rekey, the queue retransmits what it carried.
        public static let staleKey = Code(value: .staleKey)
        /// A frame sequence number not above the last accepted one: replayed or reordered.
        public static let replayed = Code(value: .replayed)
        /// A sealed frame before the handshake produced keys.
        public static let notReady = Code(value: .notReady)
        /// A message or frame over the protocol's limits.
        public static let tooLarge = Code(value: .tooLarge)
        /// The X25519 agreement with the peer's key failed (small-order point).
        public static let handshakeFailed = Code(value: .handshakeFailed)

        public var description: String {
            switch value {
            case .malformed: "malformed"
            case .wrongSender: "wrongSender"
            case .authenticationFailed: "authenticationFailed"
            case .staleKey: "staleKey"
            case .replayed: "replayed"
            case .notReady: "notReady"
            case .tooLarge: "tooLarge"
            case .handshakeFailed: "handshakeFailed"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
