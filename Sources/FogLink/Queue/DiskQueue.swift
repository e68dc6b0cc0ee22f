internal import Dispatch
public import Logging
internal import Metrics

/// The link half's durable outbound queue: records are numbered 1, 2, 3, … and kept on disk
/// until the peer acknowledges them, across crashes and power cuts.
///
/// `append` returns only once its record is on stable storage (`fdatasync`). Appends are
/// group-committed: the first append after an idle period waits `linger` for company (only
/// when writers are concurrent: several appends waiting, or several in the previous batch), the
/// batch is written with one `pwrite` and synced with one `fdatasync` on a dedicated
/// thread (so no cooperative thread blocks on the disk), and appends arriving meanwhile form
/// the next batch. Readers see a record only once it is durable. Sequence numbers are
/// contiguous and never reused, even after every record was acknowledged and across
/// restarts, so a receiver can de-duplicate with one integer (`ReceiveCursor`).
///
/// The bound (`maximumBytes`, on the unacknowledged records) is enforced when appending:
/// by default a full queue refuses with `DiskQueueError.full`; with `.dropOldest` it discards
/// the oldest unacknowledged records. Either way each event is counted and logged at
/// warning level (at most one line per 10 s, with the totals), never silent.
///
/// On-disk format (all integers big-endian; CRC-32C is Castagnoli):
/// ```
/// <directory>/                     mode 0700, flock'ed by the open queue
///   0000000000000001.seg           segments, named by their first sequence (16 hex digits), mode 0600
///   00000000000a3f21.seg
///   ack                            acknowledgement point (absent until the first acknowledgement)
///
/// segment := "FOGLKQS1" batch*
/// batch   := u32 0x464C4B42 ("FLKB")  u32 length-of-records  u64 first-sequence  u32 count
///            u32 CRC-32C(the 20 header bytes before it)
///            record{count}
/// record  := u32 payload-length  u32 CRC-32C(u64 sequence ‖ u32 payload-length ‖ payload)  payload
/// ack     := "FOGLKQA1"  u64 acknowledged-through  u32 CRC-32C(the 16 bytes before it)
/// ```
/// A record's sequence is its batch's first sequence plus its index; it is not stored but
/// is covered by the record checksum, so a record read at the wrong place fails its check.
/// Each batch is one group commit. A new segment starts (created, written, synced, then
/// the directory synced) once the current one reaches `segmentBytes`; older segments are
/// never written again. The ack file is replaced atomically (write `ack.new`, sync, rename,
/// sync the directory) before any segment it covers is deleted. The newest segment is never
/// deleted (only by `destroy`), so the next sequence survives a restart even when
/// everything was acknowledged.
///
/// Recovery on open: segments wholly covered by the ack point are deleted; every other
/// segment is read and every checksum checked; sequences must continue from segment to
/// segment and the first kept record must follow the ack point. In the newest segment only,
/// damage after the last complete batch is a torn tail (a write cut by a crash, never
/// reported durable): it is truncated and logged, provided no complete batch follows the
/// damage. Damage anywhere else, or a complete batch after damage, means records that were
/// reported durable are unreadable: opening fails with `.corrupt` naming the file and offset.
///
/// - Important: One open queue per directory; a second open (any process) fails `.locked`.
public actor DiskQueue {
    static let acknowledgementMagic = Array("FOGLKQA1".utf8)
    static let acknowledgementFileName = "ack"
    /// Interval between two warnings about a full queue.
    static let fullLogInterval: Duration = .seconds(10)

    /// One caller's records, waiting for their group commit.
    private struct PendingAppend {
        var records: [[UInt8]]
        var firstSequence: UInt64
        var bytes: UInt64
        var continuation: CheckedContinuation<Result<ClosedRange<UInt64>, DiskQueueError>, Never>
    }

    private enum WriteTarget: Sendable {
        case append(QueueFile, offset: UInt64)
        case create(path: String)
    }

    public nonisolated let directory: String
    public nonisolated let configuration: DiskQueueConfiguration
    private let logger: Logger
    private let metrics = QueueMetrics()
    /// Serial queue for writes and syncs, so they never block a cooperative thread.
    private let commitQueue: DispatchQueue

    private var lockDescriptor: Int32?
    var segments: [QueueSegment]
    /// Highest sequence acknowledged by the peer or dropped; pending records follow it.
    private var acknowledged: UInt64
    /// Value of the ack file on disk.
    private var persistedAcknowledged: UInt64
    /// One past the last durable record.
    var nextSequence: UInt64
    /// One past the last record handed a sequence (durable or not).
    private var nextAssigned: UInt64
    /// Bytes (record headers included) of durable, unacknowledged records.
    private var pendingBytes: UInt64
    /// Bytes of appended records not yet durable.
    private var unsyncedBytes: UInt64 = 0
    private var waiting: [PendingAppend] = []
    private var committer: Task<Void, Never>?
    /// Appends in the previous batch: more than one shows concurrent writers, worth a linger.
    private var lastBatchAppends = 0
    /// Set by the first failed write or sync: nothing more is written, so the files keep
    /// their last durable state and the next open recovers it.
    private var failure: DiskQueueError?
    private var closed = false
    private var readers: [UInt64: (after: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextReaderID: UInt64 = 0

    private var dataSyncs: UInt64 = 0
    private var appendedRecords: UInt64 = 0
    private var droppedRecords: UInt64 = 0
    private var refusedAppends: UInt64 = 0
    private var lastFullWarning: ContinuousClock.Instant?
    private var fullEventsSinceWarning: UInt64 = 0

    /// Opens (creating when missing) the queue in `directory` and recovers it; see the type's
    /// documentation for what recovery repairs and what it refuses.
    public init(
        directory: String, configuration: DiskQueueConfiguration = .init(), logger: Logger
    ) throws(DiskQueueError) {
        guard configuration.maximumRecordBytes > 0, configuration.maximumRecordBytes <= SegmentFormat.maximumRecordLength
        else {
            throw DiskQueueError(
                code: .invalidArgument, path: directory,
                message: "maximumRecordBytes \(configuration.maximumRecordBytes) is outside 1...\(SegmentFormat.maximumRecordLength)")
        }
        var logger = logger
        logger[metadataKey: "fog.queue.path"] = "\(directory)"
        let recovered = try Self.recover(directory: directory, logger: logger)
        self.directory = directory
        self.configuration = configuration
        self.logger = logger
        self.commitQueue = DispatchQueue(label: "fogfabric.link.queue")
        self.lockDescriptor = recovered.lockDescriptor
        self.segments = recovered.segments
        self.acknowledged = recovered.acknowledged
        self.persistedAcknowledged = recovered.acknowledged
        self.nextSequence = recovered.nextSequence
        self.nextAssigned = recovered.nextSequence
        self.pendingBytes = recovered.pendingBytes
        metrics.update(pendingRecords: recovered.nextSequence - recovered.acknowledged - 1, pendingBytes: recovered.pendingBytes)
        logger.info(
            "queue opened",
            metadata: [
                "fog.queue.pending": "\(recovered.nextSequence - recovered.acknowledged - 1)",
                "fog.queue.pending_bytes": "\(recovered.pendingBytes)",
                "fog.queue.next_sequence": "\(recovered.nextSequence)",
            ])
    }

    /// A queue dropped without `close` still releases its descriptors and the directory lock
    /// (it cannot be mid-commit: a running commit holds a reference to it).
    deinit {
        for segment in segments { segment.file.close() }
        if let lockDescriptor { QueueDirectory.unlock(lockDescriptor) }
    }

    // MARK: Appending

    /// Appends one record; returns its sequence once it is durable.
    @discardableResult
    public func append(_ record: [UInt8]) async throws(DiskQueueError) -> UInt64 {
        try await append(contentsOf: [record]).lowerBound
    }

    /// Appends records with consecutive sequences (in one batch); returns their range once
    /// all are durable.
    @discardableResult
    public func append(contentsOf records: [[UInt8]]) async throws(DiskQueueError) -> ClosedRange<UInt64> {
        try checkWritable()
        guard !records.isEmpty else {
            throw DiskQueueError(code: .invalidArgument, path: directory, message: "append of no records")
        }
        var bytes: UInt64 = 0
        for record in records {
            guard record.count <= configuration.maximumRecordBytes else {
                throw DiskQueueError(
                    code: .invalidArgument, path: directory,
                    message: "record of \(record.count) bytes exceeds the largest accepted, \(configuration.maximumRecordBytes)")
            }
            bytes += UInt64(SegmentFormat.recordSize(payloadCount: record.count))
        }
        try makeRoom(for: bytes)
        let first = nextAssigned
        nextAssigned += UInt64(records.count)
        unsyncedBytes += bytes
        appendedRecords += UInt64(records.count)
        let result = await withCheckedContinuation { continuation in
            waiting.append(
                PendingAppend(records: records, firstSequence: first, bytes: bytes, continuation: continuation))
            if committer == nil {
                committer = Task { await self.runCommits() }
            }
        }
        return try result.get()
    }

    private func checkWritable() throws(DiskQueueError) {
        if closed {
            throw DiskQueueError(code: .closed, path: directory, message: "queue is closed")
        }
        if let failure {
            throw DiskQueueError(
                code: .closed, path: directory,
                message: "queue stopped writing after an earlier failure (\(failure)); restart to recover it")
        }
    }

    /// Applies the full policy when `bytes` more would exceed `maximumBytes`.
    private func makeRoom(for bytes: UInt64) throws(DiskQueueError) {
        let limit = configuration.maximumBytes
        let held = pendingBytes + unsyncedBytes
        guard held + bytes > limit else { return }
        guard bytes <= limit else {
            throw DiskQueueError(
                code: .invalidArgument, path: directory,
                message: "records of \(bytes) bytes can never fit in a queue bounded to \(limit) bytes")
        }
        let needed = held + bytes - limit
        if configuration.whenFull == .dropOldest, needed <= pendingBytes {
            try dropOldest(freeing: needed)
            return
        }
        refusedAppends += 1
        metrics.refused.increment()
        warnFull(
            "queue full: refusing new records",
            metadata: ["fog.queue.refused_total": "\(refusedAppends)"])
        let why =
            configuration.whenFull == .refuse
            ? "" : " (records being synced cannot be dropped; \(unsyncedBytes) bytes in flight)"
        throw DiskQueueError(
            code: .full, path: directory,
            message: "queue full: \(pendingBytes + unsyncedBytes) of \(limit) bytes held by "
                + "\(nextAssigned - acknowledged - 1) unacknowledged records\(why); the peer half must acknowledge "
                + "(is the link up?), or raise the bound with fog-link --queue-max-bytes "
                + "(DiskQueueConfiguration.maximumBytes)")
    }

    /// Discards the oldest durable pending records until at least `needed` bytes are free.
    private func dropOldest(freeing needed: UInt64) throws(DiskQueueError) {
        var freed: UInt64 = 0
        var through = acknowledged
        try forEachRecord(from: acknowledged + 1, verify: false) { sequence, size, _, _ in
            freed += UInt64(size)
            through = sequence
            return freed < needed
        }
        let count = through - acknowledged
        let first = acknowledged + 1
        acknowledged = through
        pendingBytes -= freed
        droppedRecords += count
        metrics.dropped.increment(by: Int64(count))
        metrics.update(pendingRecords: nextSequence - acknowledged - 1, pendingBytes: pendingBytes)
        warnFull(
            "queue full: dropped the oldest records (policy dropOldest)",
            metadata: [
                "fog.queue.dropped": "\(first)...\(through)",
                "fog.queue.dropped_total": "\(droppedRecords)",
            ])
        try removeAcknowledgedSegments()
    }

    private func warnFull(_ message: Logger.Message, metadata: Logger.Metadata) {
        fullEventsSinceWarning += 1
        let now = ContinuousClock.now
        if let last = lastFullWarning, now - last < Self.fullLogInterval { return }
        var metadata = metadata
        metadata["fog.queue.max_bytes"] = "\(configuration.maximumBytes)"
        metadata["fog.queue.events_since_last_warning"] = "\(fullEventsSinceWarning)"
        logger.warning(message, metadata: metadata)
        lastFullWarning = now
        fullEventsSinceWarning = 0
    }

    // MARK: Group commit

    /// Writes and syncs waiting appends, one batch at a time, until none is left.
    private func runCommits() async {
        // Waiting only pays when appends come concurrently; a lone sequential writer would
        // just be slowed down by it. A yield still lets appends that are ready to run join.
        if configuration.linger > .zero && (waiting.count > 1 || lastBatchAppends > 1) {
            try? await Task.sleep(for: configuration.linger)
        } else {
            await Task.yield()
        }
        while !waiting.isEmpty {
            if let failure {
                for append in waiting { append.continuation.resume(returning: .failure(failure)) }
                waiting.removeAll()
                break
            }
            var batch: [PendingAppend] = []
            var batchBytes: UInt64 = 0
            while let next = waiting.first,
                batch.isEmpty || batchBytes + next.bytes <= UInt64(configuration.maximumBatchBytes)
            {
                batch.append(waiting.removeFirst())
                batchBytes += next.bytes
            }
            lastBatchAppends = batch.count
            await commit(batch, bytes: batchBytes)
        }
        committer = nil
    }

    private func commit(_ batch: [PendingAppend], bytes recordBytes: UInt64) async {
        let first = batch[0].firstSequence
        let records = batch.flatMap(\.records)
        var bytes: [UInt8] = []
        let target: WriteTarget
        let batchSize = UInt64(SegmentFormat.batchHeaderSize) + recordBytes
        if let last = segments.last, last.size + batchSize <= configuration.segmentBytes {
            target = .append(last.file, offset: last.size)
        } else {
            target = .create(path: directory + "/" + SegmentFormat.fileName(firstSequence: first))
            bytes = SegmentFormat.magic
        }
        let offset = UInt64(bytes.count)
        SegmentFormat.appendBatch(firstSequence: first, records: records, to: &bytes)
        let header = SegmentFormat.BatchHeader(
            firstSequence: first, count: UInt32(records.count), length: UInt32(recordBytes))
        let directory = directory
        let image = bytes
        let afterDataSync = configuration.afterDataSync
        let outcome = await withCheckedContinuation { continuation in
            commitQueue.async {
                let outcome = Self.write(image, to: target, directory: directory)
                if case .success = outcome { afterDataSync?(header.lastSequence) }
                continuation.resume(returning: outcome)
            }
        }
        unsyncedBytes -= recordBytes
        switch outcome {
        case .success(let created):
            if let created {
                var segment = QueueSegment(firstSequence: first, path: created.path, file: created)
                segment.add(header, at: offset)
                segments.append(segment)
            } else {
                let index = segments.count - 1
                segments[index].add(header, at: segments[index].size)
            }
            dataSyncs += 1
            metrics.syncs.increment()
            nextSequence = header.endSequence
            pendingBytes += recordBytes
            metrics.update(pendingRecords: nextSequence - acknowledged - 1, pendingBytes: pendingBytes)
            for append in batch {
                let last = append.firstSequence + UInt64(append.records.count) - 1
                append.continuation.resume(returning: .success(append.firstSequence...last))
            }
            wakeReaders()
            if created != nil {
                do {
                    try removeAcknowledgedSegments()
                } catch {
                    logger.warning("could not remove acknowledged segments", metadata: ["fog.error": "\(error)"])
                }
            }
        case .failure(let error):
            failure = error
            logger.error(
                "queue write failed; no further appends until restart",
                metadata: ["fog.error": "\(error)", "fog.queue.failed_records": "\(records.count)"])
            for append in batch { append.continuation.resume(returning: .failure(error)) }
        }
    }

    /// Runs on the commit queue: writes one batch and syncs it, creating its segment (and
    /// syncing the directory) when the target is a new file. Returns the new file, if any.
    private nonisolated static func write(
        _ bytes: [UInt8], to target: WriteTarget, directory: String
    ) -> Result<QueueFile?, DiskQueueError> {
        switch target {
        case .append(let file, let offset):
            do throws(DiskQueueError) {
                try file.write(bytes, at: offset)
                try file.syncData()
                return .success(nil)
            } catch {
                return .failure(error)
            }
        case .create(let path):
            let file: QueueFile
            do throws(DiskQueueError) {
                file = try QueueFile.open(path, create: true, exclusive: true)
            } catch {
                return .failure(error)
            }
            do throws(DiskQueueError) {
                try file.write(bytes, at: 0)
                try file.syncData()
                try QueueDirectory.sync(directory)
                return .success(file)
            } catch {
                file.close()
                return .failure(error)
            }
        }
    }

    // MARK: Reading and acknowledging

    /// Durable pending records from `sequence` (or from the first unacknowledged, when lower)
    /// in order: at most `maximumCount`, and at most `maximumBytes` of payload unless the first
    /// record alone is larger (it is returned alone, so big records still move).
    public func records(
        from sequence: UInt64, maximumCount: Int = .max, maximumBytes: Int = .max
    ) throws(DiskQueueError) -> [DiskQueueRecord] {
        try checkOpen()
        var result: [DiskQueueRecord] = []
        guard maximumCount > 0 else { return result }
        var total = 0
        try forEachRecord(from: max(sequence, acknowledged + 1), verify: true) { sequence, _, chunk, payload in
            if !result.isEmpty && total + payload.count > maximumBytes { return false }
            result.append(DiskQueueRecord(sequence: sequence, bytes: Array(chunk[payload])))
            total += payload.count
            return result.count < maximumCount && total < maximumBytes
        }
        return result
    }

    /// Returns once a durable record after `sequence` exists, the queue is closed, or the
    /// calling task is cancelled (the caller checks which).
    public func waitForRecords(after sequence: UInt64) async {
        guard !closed, nextSequence <= sequence + 1 else { return }
        let id = nextReaderID
        nextReaderID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    readers[id] = (sequence, continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelReader(id) }
        }
    }

    private func cancelReader(_ id: UInt64) {
        readers.removeValue(forKey: id)?.continuation.resume()
    }

    private func wakeReaders() {
        for (id, reader) in readers where closed || nextSequence > reader.after + 1 {
            readers.removeValue(forKey: id)
            reader.continuation.resume()
        }
    }

    /// Cumulatively acknowledges every record through `sequence`: the ack point is made
    /// durable, then segments it wholly covers are deleted. Acknowledging what already is
    /// acknowledged does nothing; acknowledging past the last durable record is refused.
    public func acknowledge(through sequence: UInt64) throws(DiskQueueError) {
        try checkOpen()
        guard sequence < nextSequence else {
            throw DiskQueueError(
                code: .invalidArgument, path: directory,
                message: "acknowledgement through \(sequence), but the last durable record is \(nextSequence - 1)")
        }
        guard sequence > acknowledged else { return }
        var freed: UInt64 = 0
        if sequence == nextSequence - 1 {
            freed = pendingBytes
        } else {
            try forEachRecord(from: acknowledged + 1, verify: false) { current, size, _, _ in
                guard current <= sequence else { return false }
                freed += UInt64(size)
                return true
            }
        }
        acknowledged = sequence
        pendingBytes -= freed
        metrics.update(pendingRecords: nextSequence - acknowledged - 1, pendingBytes: pendingBytes)
        try persistAcknowledged()
        try removeAcknowledgedSegments()
    }

    public var statistics: DiskQueueStatistics {
        DiskQueueStatistics(
            pendingCount: nextSequence - acknowledged - 1, pendingBytes: pendingBytes,
            firstUnacknowledged: acknowledged + 1, nextSequence: nextSequence, segmentCount: segments.count,
            dataSyncs: dataSyncs, appendedRecords: appendedRecords, droppedRecords: droppedRecords,
            refusedAppends: refusedAppends)
    }

    private func checkOpen() throws(DiskQueueError) {
        if closed {
            throw DiskQueueError(code: .closed, path: directory, message: "queue is closed")
        }
    }

    private func persistAcknowledged() throws(DiskQueueError) {
        guard acknowledged > persistedAcknowledged else { return }
        try CheckpointFile.write(
            acknowledged, to: directory + "/" + Self.acknowledgementFileName, magic: Self.acknowledgementMagic)
        persistedAcknowledged = acknowledged
    }

    /// Deletes segments (never the newest) whose records are all acknowledged or dropped,
    /// after making the ack point that covers them durable.
    private func removeAcknowledgedSegments() throws(DiskQueueError) {
        guard segments.count > 1, segments[0].endSequence - 1 <= acknowledged else { return }
        try persistAcknowledged()
        while segments.count > 1, segments[0].endSequence - 1 <= acknowledged {
            let segment = segments.removeFirst()
            segment.file.close()
            try QueueDirectory.remove(file: segment.path)
            logger.debug(
                "removed acknowledged segment",
                metadata: ["fog.queue.segment": "\(segment.path)", "fog.queue.through": "\(segment.endSequence - 1)"])
        }
    }

    // MARK: Closing

    /// Finishes the appends already accepted, persists the ack point and releases the
    /// directory. Later calls fail with `.closed`.
    public func close() async {
        guard !closed else { return }
        closed = true
        await committer?.value
        do {
            try persistAcknowledged()
        } catch {
            logger.warning("could not persist the acknowledgement point at close", metadata: ["fog.error": "\(error)"])
        }
        release()
        wakeReaders()
    }

    /// Deletes every file of the queue and its directory (decommission), while still holding
    /// the directory's lock. The queue is closed afterwards, even when a deletion fails.
    public func destroy() async throws(DiskQueueError) {
        try checkOpen()
        closed = true
        await committer?.value
        for segment in segments { segment.file.close() }
        segments.removeAll()
        wakeReaders()
        defer { release() }
        for name in try QueueDirectory.entries(directory) {
            try QueueDirectory.remove(file: directory + "/" + name)
        }
        try QueueDirectory.remove(directory: directory)
        try QueueDirectory.sync(QueueDirectory.parent(of: directory))
        logger.info("queue destroyed")
    }

    private func release() {
        for segment in segments { segment.file.close() }
        segments.removeAll()
        if let lockDescriptor {
            QueueDirectory.unlock(lockDescriptor)
            self.lockDescriptor = nil
        }
    }
}
