/// The receiving half's durable "highest sequence delivered" for one stream, so a restarted
/// receiver drops what it already delivered and the consumer sees each record once.
///
/// The sender numbers records 1, 2, 3, … and never reuses a number (see `DiskQueue`), so
/// one integer is the whole de-duplication state. `advance(to:)` returns only once the new
/// value is durable (the file is replaced atomically, see `CheckpointFile`); advance after
/// the records are handed on, and a crash between the two repeats at most what was handed
/// on since the last advance.
///
/// A value type for one owner (the link's receive loop); it takes no lock.
public struct ReceiveCursor: Sendable {
    static let magic = Array("FOGLKRC1".utf8)

    public let path: String
    /// Highest sequence delivered; 0 before the first.
    public private(set) var delivered: UInt64

    /// Loads the cursor at `path` (0 when the file does not exist yet). A stale `<path>.new`
    /// from a crash mid-write is removed. The directory must exist.
    public init(path: String) throws(DiskQueueError) {
        self.path = path
        try QueueDirectory.remove(file: CheckpointFile.temporaryPath(for: path))
        delivered = try CheckpointFile.read(path, magic: Self.magic, what: "receive cursor") ?? 0
    }

    /// True when `sequence` is above the delivered point, i.e. not yet handed on.
    public func isNew(_ sequence: UInt64) -> Bool {
        sequence > delivered
    }

    /// Durably records that everything through `sequence` was delivered. Lower values are
    /// ignored (the cursor never goes back).
    public mutating func advance(to sequence: UInt64) throws(DiskQueueError) {
        guard sequence > delivered else { return }
        try CheckpointFile.write(sequence, to: path, magic: Self.magic)
        delivered = sequence
    }

    /// Deletes the cursor file (decommission).
    public static func remove(path: String) throws(DiskQueueError) {
        try QueueDirectory.remove(file: CheckpointFile.temporaryPath(for: path))
        try QueueDirectory.remove(file: path)
        try QueueDirectory.sync(QueueDirectory.parent(of: path))
    }
}
