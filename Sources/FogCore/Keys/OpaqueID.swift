/// A 128-bit random identifier for agents, ComSats, links and topics.
///
/// Its text form (26 lowercase base32 symbols, no padding) is what appears in MQTT usernames
/// and topic names, so it reveals nothing and has exactly one spelling: parsing rejects
/// uppercase, padding and non-zero trailing bits. Stored as two words so that parsing a
/// username (`init?(utf8:)`) and looking it up allocates nothing.
public struct OpaqueID: Hashable, Comparable, Sendable {
    public static let byteCount = 16
    /// Length of `description`.
    public static let textLength = 26

    private let high: UInt64
    private let low: UInt64

    /// A fresh id from the system's cryptographic random number generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(high: generator.next(), low: generator.next())
    }

    /// Draws an id from `generator`; for tests that need reproducible ids.
    public init(using generator: inout some RandomNumberGenerator) {
        self.init(high: generator.next(), low: generator.next())
    }

    /// The id whose raw form is `bytes`; nil unless exactly 16 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard let words = WordPacking.words(from: bytes, count: 2) else { return nil }
        self.init(high: words[0], low: words[1])
    }

    /// Parses the canonical text form; nil for anything else.
    public init?(_ text: String) {
        self.init(utf8: text.utf8)
    }

    /// Parses the canonical text form from UTF-8 bytes (e.g. a C username) without
    /// allocating, also when the input is invalid.
    public init?(utf8 text: some Collection<UInt8>) {
        guard text.count == Self.textLength else { return nil }
        var words = (high: UInt64(0), low: UInt64(0), count: 0)
        let failure = Base32.codec.scan(text) { byte in
            if words.count < 8 {
                words.high = words.high << 8 | UInt64(byte)
            } else {
                words.low = words.low << 8 | UInt64(byte)
            }
            words.count += 1
        }
        guard failure == nil else { return nil }
        self.init(high: words.high, low: words.low)
    }

    /// Parses the canonical text form, explaining a rejection (for CLI and configuration input).
    public init(validating text: some StringProtocol) throws(KeyError) {
        try self.init(validating: text.utf8)
    }

    /// Parses the canonical text form from UTF-8 bytes, explaining a rejection.
    public init(validating text: some Collection<UInt8>) throws(KeyError) {
        guard text.count == Self.textLength else {
            throw KeyError(
                code: .invalidEncoding,
                message: "an id is \(Self.textLength) base32 symbols, got \(text.count)")
        }
        do {
            try Base32.codec.decode(text) { _ in }
        } catch {
            throw .invalidEncoding("id", error)
        }
        // Valid canonical text of the right length always parses.
        guard let id = OpaqueID(utf8: text) else {
            throw KeyError(code: .invalidEncoding, message: "not a canonical id")
        }
        self = id
    }

    /// Reads the 16 raw bytes of an id.
    public init(from reader: inout ByteReader) throws(CodecError) {
        let high = try reader.readUInt64()
        let low = try reader.readUInt64()
        self.init(high: high, low: low)
    }

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero id, which envelopes use to mean "no recipient". Never produced by `init()`
    /// in practice (probability 2⁻¹²⁸).
    public static let zero = OpaqueID(high: 0, low: 0)

    public var isZero: Bool { high == 0 && low == 0 }

    /// The 16 raw bytes, big-endian.
    public var bytes: [UInt8] { WordPacking.bytes(high, low) }

    /// Appends the 16 raw bytes.
    public func write(to writer: inout ByteWriter) {
        writer.writeUInt64(high)
        writer.writeUInt64(low)
    }

    public static func < (lhs: OpaqueID, rhs: OpaqueID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension OpaqueID: LosslessStringConvertible {
    /// Canonical text form: 26 lowercase base32 symbols.
    public var description: String { Base32.encode(bytes) }
}

extension OpaqueID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try OpaqueID(validating: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
