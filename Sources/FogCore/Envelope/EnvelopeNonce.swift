/// The 128-bit random nonce that makes every envelope unique.
///
/// Receivers remember (sender, nonce) while the envelope's timestamp is inside the clock-skew
/// window, which is what rejects replays. It also serves as a correlation id: a reply can
/// name the nonce of the command it answers.
public struct EnvelopeNonce: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16

    private let high: UInt64
    private let low: UInt64

    /// A fresh nonce from the system's cryptographic random number generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        high = generator.next()
        low = generator.next()
    }

    /// The nonce whose raw form is `bytes`; nil unless exactly 16 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard let words = WordPacking.words(from: bytes, count: 2) else { return nil }
        high = words[0]
        low = words[1]
    }

    /// Reads the 16 raw bytes of a nonce.
    public init(from reader: inout ByteReader) throws(CodecError) {
        high = try reader.readUInt64()
        low = try reader.readUInt64()
    }

    /// The 16 raw bytes.
    public var bytes: [UInt8] { WordPacking.bytes(high, low) }

    /// Appends the 16 raw bytes.
    public func write(to writer: inout ByteWriter) {
        writer.writeUInt64(high)
        writer.writeUInt64(low)
    }

    /// Lowercase hex.
    public var description: String { Hex.encode(bytes) }
}
