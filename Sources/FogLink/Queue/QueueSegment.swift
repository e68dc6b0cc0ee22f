/// One open segment file as the queue tracks it in memory.
///
/// Only a sparse index is kept (a mark about every 64 KiB), not one entry per record or
/// batch: a queue of millions of small readings must fit in a Raspberry Pi's memory.
struct QueueSegment: Sendable {
    struct Mark: Sendable {
        /// First sequence of the batch at `offset`.
        var sequence: UInt64
        var offset: UInt64
    }

    static let markInterval: UInt64 = 64 << 10

    var firstSequence: UInt64
    /// One past the last durable record.
    var endSequence: UInt64
    var path: String
    /// Open for reading by the actor and for appending by the commit thread (last segment).
    var file: QueueFile
    /// Durable bytes: everything after this offset is unwritten or still being synced.
    var size: UInt64
    private(set) var marks: [Mark] = []

    init(firstSequence: UInt64, path: String, file: QueueFile) {
        self.firstSequence = firstSequence
        self.endSequence = firstSequence
        self.path = path
        self.file = file
        self.size = UInt64(SegmentFormat.magic.count)
    }

    /// Records a durable batch that starts at `offset` and takes `size` bytes.
    mutating func add(_ header: SegmentFormat.BatchHeader, at offset: UInt64) {
        if marks.last.map({ offset - $0.offset >= Self.markInterval }) ?? true {
            marks.append(Mark(sequence: header.firstSequence, offset: offset))
        }
        endSequence = header.endSequence
        size = offset + UInt64(header.size)
    }

    /// Offset of a batch header at or before the batch holding `sequence`.
    func startOffset(for sequence: UInt64) -> UInt64 {
        var low = 0
        var high = marks.count
        while low < high {
            let middle = (low + high) / 2
            if marks[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? UInt64(SegmentFormat.magic.count) : marks[low - 1].offset
    }
}
