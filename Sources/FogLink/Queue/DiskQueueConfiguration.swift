/// Limits and timing of a `DiskQueue`.
public struct DiskQueueConfiguration: Sendable {
    /// What `append` does when a record would take unacknowledged bytes over `maximumBytes`.
    public enum FullPolicy: Sendable, Hashable {
        /// Throw `DiskQueueError.full`; the producer decides (the link stops taking messages
        /// from the local bus, which holds them). Nothing already queued is lost.
        case refuse
        /// Discard the oldest unacknowledged records until the new one fits. Every discard is
        /// counted (`DiskQueueStatistics.droppedRecords`, metric
        /// `fogfabric_link_queue_records_dropped_total`) and logged at warning level; the
        /// receiver sees a gap in the sequence numbers. A drop is made durable with the next
        /// acknowledgement, segment deletion or `close`, not on its own (that would cost two
        /// syncs per append while full): after a crash, records dropped since then may be
        /// sent after all. They are never lost silently, only possibly delivered.
        case dropOldest
    }

    /// Bound on the unacknowledged records' bytes on disk, counting each record's 8-byte
    /// header. Disk use can exceed it by the 24-byte header of each group commit and by at
    /// most one segment of acknowledged records awaiting deletion.
    public var maximumBytes: UInt64
    public var whenFull: FullPolicy
    /// How long the first append after an idle period waits for company before its batch is
    /// written and synced, when writers are concurrent (a lone sequential writer never
    /// waits). Appends that arrive while a sync runs wait for the next one without extra
    /// delay, so under load one sync serves many appends.
    public var linger: Duration
    /// A new segment file is started once the current one reaches this size.
    public var segmentBytes: UInt64
    /// Largest single record accepted (at most 16 MiB, the format's limit).
    public var maximumRecordBytes: Int
    /// Bound on the bytes one write-and-sync carries; a larger backlog takes several.
    public var maximumBatchBytes: Int
    /// Called on the commit thread after each successful data sync, with the last sequence
    /// it made durable, before any append it covers returns. For tests of the durability order.
    package var afterDataSync: (@Sendable (_ durableThrough: UInt64) -> Void)?

    public init(
        maximumBytes: UInt64 = 256 << 20, whenFull: FullPolicy = .refuse, linger: Duration = .milliseconds(2),
        segmentBytes: UInt64 = 8 << 20, maximumRecordBytes: Int = 1 << 20, maximumBatchBytes: Int = 1 << 20
    ) {
        self.maximumBytes = maximumBytes
        self.whenFull = whenFull
        self.linger = linger
        self.segmentBytes = segmentBytes
        self.maximumRecordBytes = maximumRecordBytes
        self.maximumBatchBytes = maximumBatchBytes
    }
}
