import Logging

extension DiskQueue {
    /// What opening found, after repairs.
    struct Recovered {
        var lockDescriptor: Int32
        var segments: [QueueSegment]
        var acknowledged: UInt64
        var nextSequence: UInt64
        var pendingBytes: UInt64
    }

    /// Creates or locks the directory and rebuilds the queue's state from its files; the
    /// rules are in the type's documentation.
    static func recover(directory: String, logger: Logger) throws(DiskQueueError) -> Recovered {
        try QueueDirectory.prepare(directory)
        let lockDescriptor = try QueueDirectory.lock(directory)
        var opened: [QueueSegment] = []
        do throws(DiskQueueError) {
            let acknowledgementPath = directory + "/" + acknowledgementFileName
            try QueueDirectory.remove(file: CheckpointFile.temporaryPath(for: acknowledgementPath))
            let acknowledged =
                try CheckpointFile.read(acknowledgementPath, magic: acknowledgementMagic, what: "acknowledgement") ?? 0
            var found: [(first: UInt64, path: String)] = []
            for name in try QueueDirectory.entries(directory) {
                if let first = SegmentFormat.firstSequence(fileName: name) {
                    found.append((first, directory + "/" + name))
                } else if name != acknowledgementFileName {
                    logger.warning("ignoring a file that is not part of the queue", metadata: ["fog.queue.file": "\(name)"])
                }
            }
            found.sort { $0.first < $1.first }
            var pendingBytes: UInt64 = 0
            for (index, segment) in found.enumerated() {
                let isLast = index == found.count - 1
                if !isLast, found[index + 1].first - 1 <= acknowledged {
                    // Acknowledged before a crash that came before its deletion.
                    try QueueDirectory.remove(file: segment.path)
                    continue
                }
                let expected = opened.last?.endSequence ?? acknowledged + 1
                guard segment.first == expected || (opened.isEmpty && segment.first < expected) else {
                    throw corrupt(
                        segment.path,
                        "starts at sequence \(segment.first) but the queue continues at \(expected): "
                            + "records \(expected)..<\(segment.first) are missing")
                }
                let file = try QueueFile.open(segment.path)
                do throws(DiskQueueError) {
                    if let scanned = try scan(
                        file, firstSequence: segment.first, isLast: isLast, acknowledged: acknowledged, logger: logger)
                    {
                        opened.append(scanned.segment)
                        pendingBytes += scanned.pendingBytes
                    } else {
                        file.close()
                        try QueueDirectory.remove(file: segment.path)
                    }
                } catch {
                    file.close()
                    throw error
                }
            }
            let end = opened.last?.endSequence ?? 1
            return Recovered(
                lockDescriptor: lockDescriptor, segments: opened, acknowledged: acknowledged,
                nextSequence: max(end, acknowledged + 1), pendingBytes: pendingBytes)
        } catch {
            for segment in opened { segment.file.close() }
            QueueDirectory.unlock(lockDescriptor)
            throw error
        }
    }

    /// Checks every batch of one segment. Returns nil for a newest segment that holds no
    /// complete batch (its creation was cut by a crash), which the caller deletes.
    private static func scan(
        _ file: QueueFile, firstSequence: UInt64, isLast: Bool, acknowledged: UInt64, logger: Logger
    ) throws(DiskQueueError) -> (segment: QueueSegment, pendingBytes: UInt64)? {
        let bytes = try file.readAll()
        let magicSize = SegmentFormat.magic.count
        guard bytes.count >= magicSize, Array(bytes[0..<magicSize]) == SegmentFormat.magic else {
            if isLast, laterBatch(in: bytes, after: -1, from: firstSequence) == nil {
                logger.warning(
                    "removed a segment whose creation was cut by a crash",
                    metadata: ["fog.queue.segment": "\(file.path)", "fog.queue.bytes": "\(bytes.count)"])
                return nil
            }
            throw DiskQueueError(
                code: .invalidContent, path: file.path,
                message: "not a FogLink queue segment (missing FOGLKQS1 header); refusing to open the queue")
        }
        var segment = QueueSegment(firstSequence: firstSequence, path: file.path, file: file)
        var pendingBytes: UInt64 = 0
        var position = magicSize
        while position < bytes.count,
            let header = SegmentFormat.batchHeader(in: bytes, at: position),
            header.firstSequence == segment.endSequence,
            let records = SegmentFormat.records(of: header, in: bytes, at: position)
        {
            for record in records where record.sequence > acknowledged {
                pendingBytes += UInt64(record.size)
            }
            segment.add(header, at: UInt64(position))
            position += header.size
        }
        if position < bytes.count {
            guard isLast else {
                throw corrupt(file.path, "damaged batch at offset \(position) in a segment that is not the newest")
            }
            if let later = laterBatch(in: bytes, after: position, from: segment.endSequence) {
                throw corrupt(
                    file.path,
                    "damaged batch at offset \(position) is followed by a complete batch (sequence \(later.sequence) "
                        + "at offset \(later.offset))")
            }
            try file.truncate(to: UInt64(position))
            try file.syncData()
            logger.warning(
                "dropped the torn tail of the newest segment: a write cut by a crash, never reported durable",
                metadata: [
                    "fog.queue.segment": "\(file.path)", "fog.queue.offset": "\(position)",
                    "fog.queue.bytes": "\(bytes.count - position)", "fog.queue.next_sequence": "\(segment.endSequence)",
                ])
        }
        if isLast && segment.endSequence == firstSequence {
            return nil
        }
        return (segment, pendingBytes)
    }

    /// The first well-formed batch header after `offset` numbered `sequence` or later: its
    /// presence proves the damage before it is not a torn tail.
    private static func laterBatch(
        in bytes: [UInt8], after offset: Int, from sequence: UInt64
    ) -> (sequence: UInt64, offset: Int)? {
        var position = offset + 1
        while position + SegmentFormat.batchHeaderSize <= bytes.count {
            if bytes.bigEndianUInt32(at: position) == SegmentFormat.batchMagic,
                let header = SegmentFormat.batchHeader(in: bytes, at: position), header.firstSequence >= sequence
            {
                return (header.firstSequence, position)
            }
            position += 1
        }
        return nil
    }

    private static func corrupt(_ path: String, _ reason: String) -> DiskQueueError {
        DiskQueueError(
            code: .corrupt, path: path,
            message: "queue is corrupt (\(reason)); records reported durable are unreadable, so it refuses to open. "
                + "Move the queue directory aside to start an empty queue (the peer then sees a gap), "
                + "or restore it from a backup")
    }
}
