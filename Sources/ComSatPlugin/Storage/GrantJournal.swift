internal import FogCore

/// The plugin's grant store: an append-only journal of checksummed records in batches.
///
/// Each control command stages its records and commits them as one batch: one `write` of
/// the records plus a commit record, then one `fdatasync`. A change therefore costs O(1)
/// I/O however many grants exist (dynamic-security rewrites its whole JSON file instead).
///
/// Removal leaves nothing behind: a removed record is first marked dead by an `erase`
/// record in the committed batch, then overwritten in place with zeros (and synced again),
/// so the file never holds a removed grant's username, client id, topics or hash once the
/// command that removed it has been answered. When dead bytes outgrow the live ones
/// (file > 2 × live + 64 KiB) the journal is compacted: live records are written to a temp
/// file that is synced and renamed over the journal, and the directory is synced. Each
/// compaction copies the live set only after at least that many bytes were appended since
/// the previous one, so the amortised cost per change stays O(1).
///
/// File layout: the 8-byte magic `FOGCSGJ1`, then records of
/// `u32 length` (kind + payload) `u8 kind` `payload` `u32 CRC-32C` (over length, kind and
/// payload). Recovery rules are in `GrantJournal+Load.swift`.
///
/// - Important: Used only on the broker thread; no locking.
final class GrantJournal {
    static let magic = Array("FOGCSGJ1".utf8)
    /// Largest length field accepted; grants are a few kilobytes at most.
    static let maximumRecordLength: UInt32 = 1 << 20
    /// Dead bytes tolerated before compaction on top of the live size.
    static let compactionSlack: UInt64 = 64 * 1024

    let path: String
    private var file: PosixFile
    /// Size of the file's committed content; staged records go after it.
    private(set) var fileSize: UInt64
    /// Bytes of live records (plus the header): what a compaction would write.
    private(set) var liveBytes: UInt64
    private(set) var compactions: UInt64 = 0
    /// Newest grant-changing command timestamp persisted or staged.
    private(set) var watermark: UInt64
    private var nextSequence: UInt64
    private var staged: [UInt8] = []
    private var stagedErasures: [JournalLocation] = []
    /// Set by the first failed write: after it nothing more is written, so the file keeps
    /// its last committed state and the next start recovers it.
    private(set) var failure: StorageError?

    init(path: String, file: PosixFile, fileSize: UInt64, liveBytes: UInt64, watermark: UInt64, nextSequence: UInt64) {
        self.path = path
        self.file = file
        self.fileSize = fileSize
        self.liveBytes = liveBytes
        self.watermark = watermark
        self.nextSequence = nextSequence
    }

    /// True when records or erasures wait for `commit()`.
    var hasStagedChanges: Bool { !staged.isEmpty || !stagedErasures.isEmpty }

    /// True when a compaction is due.
    var needsCompaction: Bool { fileSize > 2 * liveBytes + Self.compactionSlack }

    /// Stages a record for the next commit and returns where it will be.
    func stage(_ kind: JournalRecordKind, _ payload: [UInt8]) -> JournalLocation {
        let offset = fileSize + UInt64(staged.count)
        let location = Self.appendRecord(kind, payload, to: &staged, at: offset)
        if kind.isLive {
            liveBytes += location.size
        }
        return location
    }

    /// Stages the removal of a live record: an `erase` record now, and zeroing the record
    /// in place once the batch is committed.
    func stageErasure(of location: JournalLocation) {
        var payload = ByteWriter(capacity: 8)
        payload.writeUInt64(location.offset)
        _ = stage(.erase, payload.bytes)
        stagedErasures.append(location)
        liveBytes -= min(liveBytes, location.size)
    }

    /// Stages a newer command timestamp; older ones are ignored.
    func stageWatermark(_ timestamp: UInt64) {
        guard timestamp > watermark else { return }
        watermark = timestamp
        var payload = ByteWriter(capacity: 8)
        payload.writeUInt64(timestamp)
        _ = stage(.watermark, payload.bytes)
    }

    /// Writes the staged batch with its commit record and syncs it, then wipes the records
    /// it erased and syncs again. Does nothing when nothing is staged.
    func commit() throws(StorageError) {
        if let failure { throw failure }
        guard hasStagedChanges else { return }
        var sequence = ByteWriter(capacity: 8)
        sequence.writeUInt64(nextSequence)
        _ = Self.appendRecord(.commit, sequence.bytes, to: &staged, at: fileSize + UInt64(staged.count))
        do {
            try file.write(staged, at: fileSize)
            try file.syncData()
            fileSize += UInt64(staged.count)
            nextSequence += 1
            staged.removeAll(keepingCapacity: true)
            if !stagedErasures.isEmpty {
                try wipe(stagedErasures, in: file)
                stagedErasures.removeAll(keepingCapacity: true)
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Rewrites the journal as exactly `records` (in order) plus the watermark, and returns
    /// their new locations. Call with nothing staged. On failure the old journal stays in
    /// place and valid, so the error is only worth a warning.
    func compact(_ records: [(kind: JournalRecordKind, payload: [UInt8])]) throws(StorageError) -> [JournalLocation] {
        if let failure { throw failure }
        precondition(!hasStagedChanges, "compaction with an uncommitted batch")
        let temporaryPath = Self.compactionPath(for: path)
        var bytes = Self.magic
        var locations: [JournalLocation] = []
        locations.reserveCapacity(records.count)
        var live = UInt64(Self.magic.count)
        for record in records {
            let location = Self.appendRecord(record.kind, record.payload, to: &bytes, at: UInt64(bytes.count))
            locations.append(location)
            live += location.size
        }
        var value = ByteWriter(capacity: 8)
        value.writeUInt64(watermark)
        _ = Self.appendRecord(.watermark, value.bytes, to: &bytes, at: UInt64(bytes.count))
        var sequence = ByteWriter(capacity: 8)
        sequence.writeUInt64(nextSequence)
        _ = Self.appendRecord(.commit, sequence.bytes, to: &bytes, at: UInt64(bytes.count))

        PosixFile.remove(temporaryPath)
        let replacement = try PosixFile.open(temporaryPath, create: true, truncate: true)
        do {
            try replacement.lockExclusively()
            try replacement.write(bytes, at: 0)
            try replacement.syncData()
            try PosixFile.rename(temporaryPath, to: path)
        } catch {
            replacement.close()
            PosixFile.remove(temporaryPath)
            throw error
        }
        // The old descriptor kept the old inode locked until the new one was locked and in
        // place, so no second broker could slip in between.
        file.close()
        file = replacement
        fileSize = UInt64(bytes.count)
        liveBytes = live
        nextSequence += 1
        compactions += 1
        try PosixFile.syncDirectory(containing: path)
        return locations
    }

    func close() {
        file.close()
    }

    /// Overwrites records in place with an `erased` record of the same length (zero
    /// payload, fresh checksum), keeping the length field so the file stays parseable.
    func wipe(_ locations: [JournalLocation], in file: PosixFile) throws(StorageError) {
        for location in locations {
            var image: [UInt8] = []
            let zeros = [UInt8](repeating: 0, count: Int(location.length) - 1)
            _ = Self.appendRecord(.erased, zeros, to: &image, at: location.offset)
            try file.write(Array(image[4...]), at: location.offset + 4)
        }
        try file.syncData()
    }

    static func compactionPath(for path: String) -> String {
        path + ".compact"
    }

    /// Appends one record's bytes and returns its location, given the offset its first byte
    /// will have in the file.
    @discardableResult
    static func appendRecord(
        _ kind: JournalRecordKind, _ payload: [UInt8], to bytes: inout [UInt8], at offset: UInt64
    ) -> JournalLocation {
        let length = UInt32(1 + payload.count)
        let start = bytes.count
        var writer = ByteWriter(capacity: 5)
        writer.writeUInt32(length)
        writer.writeUInt8(kind.rawValue)
        bytes.append(contentsOf: writer.bytes)
        bytes.append(contentsOf: payload)
        let checksum = CRC32C.checksum(bytes[start...])
        var trailer = ByteWriter(capacity: 4)
        trailer.writeUInt32(checksum)
        bytes.append(contentsOf: trailer.bytes)
        return JournalLocation(offset: offset, length: length)
    }
}
