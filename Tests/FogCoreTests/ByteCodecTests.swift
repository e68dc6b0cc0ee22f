import FogCore
import Testing

@Suite struct ByteCodecTests {
    @Test func writesBigEndian() {
        var writer = ByteWriter()
        writer.writeUInt8(0x01)
        writer.writeUInt16(0x0203)
        writer.writeUInt32(0x0405_0607)
        writer.writeUInt64(0x0809_0A0B_0C0D_0E0F)
        writer.writeBytes([0x10, 0x11])
        #expect(writer.bytes == Array(0x01...0x11))
        #expect(writer.count == 17)
    }

    @Test func roundTripsEveryFieldType() throws {
        var writer = ByteWriter()
        writer.writeUInt8(.max)
        writer.writeUInt16(0xBEEF)
        writer.writeUInt32(.max)
        writer.writeUInt64(0xDEAD_BEEF_0000_0001)
        try writer.writeLengthPrefixed16([1, 2, 3])
        writer.writeLengthPrefixed32([])
        writer.writeLengthPrefixed32([9])

        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt8() == .max)
        #expect(try reader.readUInt16() == 0xBEEF)
        #expect(try reader.readUInt32() == .max)
        #expect(try reader.readUInt64() == 0xDEAD_BEEF_0000_0001)
        #expect(try reader.readLengthPrefixed16(maximum: 3) == [1, 2, 3])
        #expect(try reader.readLengthPrefixed32(maximum: 0) == [])
        #expect(try reader.readLengthPrefixed32(maximum: 10) == [9])
        #expect(reader.isAtEnd)
        #expect(reader.remaining == 0)
        try reader.expectEnd()
    }

    @Test(arguments: 0..<8)
    func reportsTruncationOfEachIntegerWidth(available: Int) throws {
        var reader = ByteReader(Array(repeating: 0xAA, count: available))
        let error = #expect(throws: CodecError.self) { _ = try reader.readUInt64() }
        #expect(error?.code == .truncated)
        #expect(error?.offset == 0)
        #expect(error?.message == "needed 8 bytes, \(available) available")
        #expect(reader.remaining == available, "a failed read must not consume input")
    }

    @Test func reportsTruncationInsideALengthPrefixedField() throws {
        var writer = ByteWriter()
        writer.writeUInt8(7)
        writer.writeUInt16(5)
        writer.writeBytes([1, 2, 3])
        var reader = ByteReader(writer.bytes)
        _ = try reader.readUInt8()
        let error = #expect(throws: CodecError.self) { _ = try reader.readLengthPrefixed16(maximum: 100) }
        #expect(error?.code == .truncated)
        #expect(reader.offset == 1, "the prefix is not consumed on failure")
    }

    @Test func enforcesTheMaximumBeforeTheRemainingLength() throws {
        var writer = ByteWriter()
        writer.writeUInt32(0xFFFF_FFFF)
        var reader = ByteReader(writer.bytes)
        let error = #expect(throws: CodecError.self) { _ = try reader.readLengthPrefixed32(maximum: 1_024) }
        #expect(error?.code == .lengthTooLarge)
        #expect(error?.message == "length 4294967295 exceeds maximum 1024")

        var exact = ByteWriter()
        try exact.writeLengthPrefixed16(Array(repeating: 1, count: 1_024))
        var exactReader = ByteReader(exact.bytes)
        #expect(try exactReader.readLengthPrefixed16(maximum: 1_024).count == 1_024)
        var overReader = ByteReader(exact.bytes)
        #expect(throws: CodecError.self) { _ = try overReader.readLengthPrefixed16(maximum: 1_023) }
    }

    @Test func refusesToWriteOversizedShortField() throws {
        var writer = ByteWriter()
        try writer.writeLengthPrefixed16(Array(repeating: 0, count: Int(UInt16.max)))
        #expect(writer.count == 2 + Int(UInt16.max))
        var second = ByteWriter()
        let error = #expect(throws: CodecError.self) {
            try second.writeLengthPrefixed16(Array(repeating: 0, count: Int(UInt16.max) + 1))
        }
        #expect(error?.code == .lengthTooLarge)
        #expect(second.bytes.isEmpty, "nothing is written on failure")
    }

    @Test func rejectsTrailingBytes() throws {
        var reader = ByteReader([1, 2, 3])
        _ = try reader.readUInt8()
        let error = #expect(throws: CodecError.self) { try reader.expectEnd() }
        #expect(error?.code == .trailingBytes)
        #expect(error?.offset == 1)
        #expect(error?.description == "CodecError.trailingBytes at offset 1: 2 unexpected bytes after the last field")
    }

    @Test func rejectsNegativeAndExcessiveCounts() throws {
        var reader = ByteReader([1, 2])
        #expect(throws: CodecError.self) { _ = try reader.readBytes(count: -1) }
        #expect(throws: CodecError.self) { _ = try reader.readBytes(count: 3) }
        #expect(try reader.readBytes(count: 2) == [1, 2])
        #expect(try reader.readBytes(count: 0) == [])
    }
}
