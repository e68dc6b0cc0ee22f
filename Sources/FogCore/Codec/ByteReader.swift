/// Reads big-endian integers and byte strings from a buffer, failing with a typed error
/// instead of trapping on short or oversized input.
///
/// Input is untrusted: every read checks the remaining length first, and length-prefixed
/// reads take an explicit maximum so a hostile prefix cannot request a huge allocation.
public struct ByteReader: Sendable {
    private let storage: [UInt8]
    /// Offset of the next byte to read.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        storage = bytes
        offset = 0
    }

    /// Bytes not yet read.
    public var remaining: Int { storage.count - offset }

    public var isAtEnd: Bool { offset == storage.count }

    public mutating func readUInt8() throws(CodecError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return storage[offset]
    }

    public mutating func readUInt16() throws(CodecError) -> UInt16 {
        try readBigEndian()
    }

    public mutating func readUInt32() throws(CodecError) -> UInt32 {
        try readBigEndian()
    }

    public mutating func readUInt64() throws(CodecError) -> UInt64 {
        try readBigEndian()
    }

    /// Reads exactly `count` bytes.
    /// - Throws: `.invalidValue` for a negative count, `.truncated` when fewer remain.
    public mutating func readBytes(count: Int) throws(CodecError) -> [UInt8] {
        guard count >= 0 else {
            throw CodecError(code: .invalidValue, offset: offset, message: "negative byte count \(count)")
        }
        try require(count)
        defer { offset += count }
        return Array(storage[offset..<offset + count])
    }

    /// Reads a 16-bit length, then that many bytes.
    /// - Throws: `.lengthTooLarge` when the prefix exceeds `maximum` (checked before the
    ///   remaining length, so an oversized claim is reported as such), `.truncated` when
    ///   the input is shorter than the prefix says.
    public mutating func readLengthPrefixed16(maximum: Int) throws(CodecError) -> [UInt8] {
        let start = offset
        let length = Int(try readUInt16())
        return try readPrefixedBody(length: length, maximum: maximum, prefixOffset: start)
    }

    /// Reads a 32-bit length, then that many bytes; errors as `readLengthPrefixed16(maximum:)`.
    public mutating func readLengthPrefixed32(maximum: Int) throws(CodecError) -> [UInt8] {
        let start = offset
        let length = Int(try readUInt32())
        return try readPrefixedBody(length: length, maximum: maximum, prefixOffset: start)
    }

    /// Throws `.trailingBytes` unless every byte has been read.
    public func expectEnd() throws(CodecError) {
        guard isAtEnd else {
            throw CodecError(
                code: .trailingBytes, offset: offset,
                message: "\(remaining) unexpected bytes after the last field")
        }
    }

    private mutating func readPrefixedBody(
        length: Int, maximum: Int, prefixOffset: Int
    ) throws(CodecError) -> [UInt8] {
        guard length <= maximum else {
            offset = prefixOffset
            throw .lengthTooLarge(at: prefixOffset, length: length, maximum: maximum)
        }
        guard length <= remaining else {
            let error = CodecError.truncated(at: offset, needed: length, available: remaining)
            offset = prefixOffset
            throw error
        }
        defer { offset += length }
        return Array(storage[offset..<offset + length])
    }

    private func require(_ count: Int) throws(CodecError) {
        guard count <= remaining else {
            throw .truncated(at: offset, needed: count, available: remaining)
        }
    }

    private mutating func readBigEndian<T: FixedWidthInteger & UnsignedInteger>() throws(CodecError) -> T {
        let size = T.bitWidth / 8
        try require(size)
        var value: T = 0
        for index in offset..<offset + size {
            value = value << 8 | T(storage[index])
        }
        offset += size
        return value
    }
}
