/// Where a record sits in the journal file.
struct JournalLocation: Hashable, Sendable {
    /// Offset of the record's length field.
    var offset: UInt64
    /// The length field: kind byte plus payload.
    var length: UInt32

    /// Bytes the record occupies: length field, kind, payload, checksum.
    var size: UInt64 { 8 + UInt64(length) }
}
