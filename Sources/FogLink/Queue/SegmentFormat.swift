internal import FogCore

/// The bytes of queue segment files; the layout is documented on `DiskQueue`.
enum SegmentFormat {
    /// First bytes of every segment file.
    static let magic = Array("FOGLKQS1".utf8)
    /// First field of every batch header ("FLKB").
    static let batchMagic: UInt32 = 0x464C_4B42
    /// magic u32, records length u32, first sequence u64, count u32, CRC-32C u32.
    static let batchHeaderSize = 24
    /// length u32, CRC-32C u32.
    static let recordHeaderSize = 8
    /// Largest record the format allows, whatever the configuration says.
    static let maximumRecordLength = 16 << 20
    private static let fileSuffix = ".seg"

    struct BatchHeader: Equatable {
        var firstSequence: UInt64
        var count: UInt32
        /// Bytes of the records that follow the header.
        var length: UInt32

        var lastSequence: UInt64 { firstSequence + UInt64(count) - 1 }
        var endSequence: UInt64 { firstSequence + UInt64(count) }
        /// Header plus records.
        var size: Int { SegmentFormat.batchHeaderSize + Int(length) }
    }

    /// One record located in a buffer.
    struct Record {
        var sequence: UInt64
        /// Where the payload sits in the buffer that was parsed.
        var payload: Range<Int>
        /// Bytes the record takes in the file (header and payload).
        var size: Int { SegmentFormat.recordHeaderSize + payload.count }
    }

    static func fileName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.utf8.count)) + digits + fileSuffix
    }

    /// The first sequence a segment file name stands for, nil for any other name.
    static func firstSequence(fileName name: String) -> UInt64? {
        guard name.utf8.count == 16 + fileSuffix.utf8.count, name.hasSuffix(fileSuffix) else { return nil }
        let digits = name.utf8.prefix(16)
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        return UInt64(String(name.prefix(16)), radix: 16)
    }

    static func recordSize(payloadCount: Int) -> Int {
        recordHeaderSize + payloadCount
    }

    /// The record checksum covers the sequence number, which is not stored: a record read at
    /// the wrong position (a stale page, a misplaced block) fails its check.
    static func recordChecksum(sequence: UInt64, payload: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32C.update(0, bigEndian: sequence, byteCount: 8)
        crc = CRC32C.update(crc, bigEndian: UInt64(payload.count), byteCount: 4)
        return CRC32C.update(crc, payload)
    }

    /// Appends one batch (header and records) holding `records` numbered from `firstSequence`.
    static func appendBatch(firstSequence: UInt64, records: [[UInt8]], to bytes: inout [UInt8]) {
        let length = records.reduce(0) { $0 + recordSize(payloadCount: $1.count) }
        let headerStart = bytes.count
        bytes.appendBigEndian(batchMagic)
        bytes.appendBigEndian(UInt32(length))
        bytes.appendBigEndian(firstSequence)
        bytes.appendBigEndian(UInt32(records.count))
        bytes.appendBigEndian(CRC32C.checksum(bytes[headerStart...]))
        var sequence = firstSequence
        for record in records {
            bytes.appendBigEndian(UInt32(record.count))
            bytes.appendBigEndian(recordChecksum(sequence: sequence, payload: record))
            bytes.append(contentsOf: record)
            sequence += 1
        }
    }

    /// The batch header at `offset`, or nil when the bytes there are not a well-formed one
    /// (short, wrong magic, checksum mismatch, no records).
    static func batchHeader(in bytes: [UInt8], at offset: Int) -> BatchHeader? {
        guard offset >= 0, bytes.count - offset >= batchHeaderSize,
            bytes.bigEndianUInt32(at: offset) == batchMagic,
            CRC32C.checksum(bytes[offset..<(offset + 20)]) == bytes.bigEndianUInt32(at: offset + 20)
        else { return nil }
        let header = BatchHeader(
            firstSequence: bytes.bigEndianUInt64(at: offset + 8), count: bytes.bigEndianUInt32(at: offset + 16),
            length: bytes.bigEndianUInt32(at: offset + 4))
        guard header.count >= 1, Int(header.length) >= Int(header.count) * recordHeaderSize else { return nil }
        return header
    }

    /// Parses the records of the batch whose header is at `offset` (the whole batch must be
    /// in `bytes`), checking each record's checksum when `verify`. Returns nil when the
    /// framing is broken or a checked record is damaged.
    static func records(of header: BatchHeader, in bytes: [UInt8], at offset: Int, verify: Bool = true) -> [Record]? {
        var records: [Record] = []
        records.reserveCapacity(Int(header.count))
        var position = offset + batchHeaderSize
        let end = position + Int(header.length)
        guard end <= bytes.count else { return nil }
        var sequence = header.firstSequence
        while position < end {
            guard end - position >= recordHeaderSize else { return nil }
            let length = Int(bytes.bigEndianUInt32(at: position))
            let payloadStart = position + recordHeaderSize
            guard length <= maximumRecordLength, end - payloadStart >= length else { return nil }
            let payload = payloadStart..<(payloadStart + length)
            guard !verify || recordChecksum(sequence: sequence, payload: bytes[payload]) == bytes.bigEndianUInt32(at: position + 4)
            else { return nil }
            records.append(Record(sequence: sequence, payload: payload))
            sequence += 1
            position = payload.upperBound
        }
        return records.count == Int(header.count) ? records : nil
    }
}
