/// Appends big-endian integers and byte strings to a growing buffer.
///
/// Every FogFabric binary frame (envelopes, ComSat control messages) is written with this,
/// so the byte order and length-prefix conventions live in one place.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    public var count: Int { bytes.count }

    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func writeUInt16(_ value: UInt16) {
        writeBigEndian(value)
    }

    public mutating func writeUInt32(_ value: UInt32) {
        writeBigEndian(value)
    }

    public mutating func writeUInt64(_ value: UInt64) {
        writeBigEndian(value)
    }

    public mutating func writeBytes(_ source: some Sequence<UInt8>) {
        bytes.append(contentsOf: source)
    }

    /// Writes a 16-bit length followed by the bytes.
    /// - Throws: `.lengthTooLarge` when `value` has more than 65,535 bytes; nothing is written then.
    public mutating func writeLengthPrefixed16(_ value: [UInt8]) throws(CodecError) {
        guard let length = UInt16(exactly: value.count) else {
            throw .lengthTooLarge(at: bytes.count, length: value.count, maximum: Int(UInt16.max))
        }
        writeUInt16(length)
        bytes.append(contentsOf: value)
    }

    /// Writes a 32-bit length followed by the bytes.
    /// - Precondition: `value` is shorter than 4 GiB. Frames are bounded far below that by
    ///   every caller, so a larger one is a programming error rather than bad input.
    public mutating func writeLengthPrefixed32(_ value: [UInt8]) {
        guard let length = UInt32(exactly: value.count) else {
            preconditionFailure("length-prefixed field of \(value.count) bytes exceeds UInt32")
        }
        writeUInt32(length)
        bytes.append(contentsOf: value)
    }

    private mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        var remainingBits = T.bitWidth
        while remainingBits > 0 {
            remainingBits -= 8
            bytes.append(UInt8(truncatingIfNeeded: value >> remainingBits))
        }
    }
}
