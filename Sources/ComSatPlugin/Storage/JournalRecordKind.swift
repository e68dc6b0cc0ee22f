/// The kinds of record in the grant journal. The raw value is the record's kind byte.
enum JournalRecordKind: UInt8, Sendable {
    /// A record wiped in place after its removal was committed; the payload is all zeros.
    case erased = 0
    /// An installed grant; payload: the grant's binary form.
    case grant = 1
    /// One side of a link has authenticated at least once; payload: link id (16) + side (1).
    case linkOptIn = 2
    /// A removed grant's client id whose session the controller has yet to sweep.
    case sweepPending = 3
    /// Removes the live record at an offset; payload: that offset (u64).
    case erase = 4
    /// Timestamp of the newest accepted grant-changing command (u64, the envelope's
    /// timestamp), so a restart cannot reopen the replay window.
    case watermark = 5
    /// Ends a batch; payload: the batch's sequence number (u64). Records count only once
    /// their batch's commit is on disk.
    case commit = 6

    /// True for records that stay live until erased.
    var isLive: Bool {
        switch self {
        case .grant, .linkOptIn, .sweepPending: true
        case .erased, .erase, .watermark, .commit: false
        }
    }
}
