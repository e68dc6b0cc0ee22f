/// A live record read back at start-up.
struct JournalEntry: Sendable {
    var kind: JournalRecordKind
    var payload: [UInt8]
    var location: JournalLocation
}
