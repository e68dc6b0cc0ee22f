/// A failure to decode (or, rarely, encode) FogFabric's big-endian binary framing.
///
/// The code says what went wrong and `offset` where, so a peer's malformed frame can be
/// reported precisely. Messages carry sizes and offsets only, never the bytes themselves:
/// a frame may hold secrets.
public struct CodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. Static lets over a private enum, so codes can be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case truncated, lengthTooLarge, trailingBytes, invalidValue
        }
        private let value: Value

        /// The input ended before a field was complete.
        public static let truncated = Code(value: .truncated)
        /// A length (prefix or requested count) exceeds the permitted maximum.
        public static let lengthTooLarge = Code(value: .lengthTooLarge)
        /// Bytes remained after the last expected field.
        public static let trailingBytes = Code(value: .trailingBytes)
        /// A field holds a value outside its domain.
        public static let invalidValue = Code(value: .invalidValue)

        public var description: String {
            switch value {
            case .truncated: "truncated"
            case .lengthTooLarge: "lengthTooLarge"
            case .trailingBytes: "trailingBytes"
            case .invalidValue: "invalidValue"
            }
        }
    }

    public var code: Code
    /// Byte offset in the input where the failing field starts.
    public var offset: Int
    /// Human-readable context: field sizes, limits, counts. Never payload bytes.
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "CodecError.\(code) at offset \(offset): \(message)"
    }

    static func truncated(at offset: Int, needed: Int, available: Int) -> CodecError {
        CodecError(
            code: .truncated, offset: offset,
            message: "needed \(needed) bytes, \(available) available")
    }

    static func lengthTooLarge(at offset: Int, length: Int, maximum: Int) -> CodecError {
        CodecError(
            code: .lengthTooLarge, offset: offset,
            message: "length \(length) exceeds maximum \(maximum)")
    }
}
