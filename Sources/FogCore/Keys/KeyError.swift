/// A key, id, secret or hash could not be built from its raw or text form.
///
/// Messages give sizes and the kind of value, never the offending bytes: they may be key
/// material pasted into the wrong field.
public struct KeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidSize, invalidEncoding, invalidKey
        }
        private let value: Value

        /// The raw form has the wrong number of bytes.
        public static let invalidSize = Code(value: .invalidSize)
        /// The text form is not canonical base32/base64url/hex of the right length.
        public static let invalidEncoding = Code(value: .invalidEncoding)
        /// The bytes have the right size but are not a usable key (e.g. a low-order X25519 point).
        public static let invalidKey = Code(value: .invalidKey)

        public var description: String {
            switch value {
            case .invalidSize: "invalidSize"
            case .invalidEncoding: "invalidEncoding"
            case .invalidKey: "invalidKey"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "KeyError.\(code): \(message)" }

    static func invalidSize(_ what: String, expected: Int, actual: Int) -> KeyError {
        KeyError(code: .invalidSize, message: "\(what) must be \(expected) bytes, got \(actual)")
    }

    static func invalidEncoding(_ what: String, _ cause: CodecError) -> KeyError {
        KeyError(code: .invalidEncoding, message: "\(what): \(cause.message) (offset \(cause.offset))")
    }
}
