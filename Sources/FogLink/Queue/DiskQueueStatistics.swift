/// Counters of a `DiskQueue`, read together so they agree with each other.
public struct DiskQueueStatistics: Sendable, Hashable {
    /// Durable records not yet acknowledged (or dropped).
    public var pendingCount: UInt64
    /// Their payload bytes plus 8 bytes of record header each: what `maximumBytes` bounds.
    public var pendingBytes: UInt64
    /// Sequence of the oldest pending record; equals `nextSequence` when nothing is pending.
    public var firstUnacknowledged: UInt64
    /// Sequence the next appended record will get.
    public var nextSequence: UInt64
    /// Segment files on disk.
    public var segmentCount: Int
    /// Data syncs (`fdatasync`) of segment files since open: one per group commit.
    public var dataSyncs: UInt64
    /// Records appended since open.
    public var appendedRecords: UInt64
    /// Records discarded by the drop-oldest policy since open.
    public var droppedRecords: UInt64
    /// Appends refused because the queue was full, since open.
    public var refusedAppends: UInt64
}
