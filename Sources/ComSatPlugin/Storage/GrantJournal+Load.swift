internal import FogCore

extension GrantJournal {
    /// What start-up found in the journal.
    struct Contents {
        /// Live records (grants, opt-ins, pending sweeps) in file order.
        var records: [JournalEntry]
        /// Log lines about repairs made while opening (torn tail dropped, erasures redone).
        var notes: [String]
    }

    /// Opens (creating if missing) and locks the journal at `path`, and recovers its state.
    ///
    /// Recovery rules, in order:
    /// - Records count only once their batch's commit record is read; commit sequence
    ///   numbers must increase by one.
    /// - Anything after the last commit is an incomplete batch from a crash (a torn write):
    ///   it is truncated away with a note, and the broker starts.
    /// - A record whose checksum fails before the last commit is acceptable only if a
    ///   committed `erase` names it (a crash interrupted its in-place wipe); the wipe is
    ///   redone. Any other damage before the last commit, or a valid commit record found
    ///   more than one batch past the damage, means the middle of the file is corrupt:
    ///   opening fails and the broker refuses to start rather than run with a silently
    ///   shrunken grant set.
    static func open(path: String) throws(StorageError) -> (GrantJournal, Contents) {
        PosixFile.remove(compactionPath(for: path))  // a compaction that never reached its rename
        let existed = PosixFile.exists(path)
        let file = try PosixFile.open(path, create: true)
        do {
            try file.lockExclusively()
            let bytes = try file.readAll()
            if bytes.isEmpty {
                try file.write(magic, at: 0)
                try file.syncData()
                if !existed {
                    try PosixFile.syncDirectory(containing: path)
                }
                let journal = GrantJournal(
                    path: path, file: file, fileSize: UInt64(magic.count),
                    liveBytes: UInt64(magic.count), watermark: 0, nextSequence: 1)
                return (journal, Contents(records: [], notes: ["created empty grant store \(path)"]))
            }
            let scan = try JournalScan(bytes: bytes, path: path)
            var notes: [String] = []
            if scan.committedEnd < UInt64(bytes.count) {
                try file.truncate(to: scan.committedEnd)
                try file.syncData()
                let what = scan.droppedDamagedBatch.map { "batch \($0), damaged by" } ?? "an incomplete batch from"
                notes.append(
                    "grant store \(path): dropped \(UInt64(bytes.count) - scan.committedEnd) bytes after offset "
                        + "\(scan.committedEnd): \(what) a write interrupted by a crash")
            }
            let unfinished = scan.unfinishedWipes()
            let journal = GrantJournal(
                path: path, file: file, fileSize: scan.committedEnd, liveBytes: scan.liveBytes,
                watermark: scan.watermark, nextSequence: scan.lastSequence.map { $0 + 1 } ?? 1)
            if !unfinished.isEmpty {
                try journal.wipe(unfinished, in: file)
                notes.append("grant store \(path): completed \(unfinished.count) interrupted erasures")
            }
            let records = scan.live.values.sorted { $0.location.offset < $1.location.offset }
            return (journal, Contents(records: records, notes: notes))
        } catch {
            file.close()
            throw error
        }
    }
}

/// Reads a journal's bytes into batches and applies the committed ones.
private struct JournalScan {
    /// Records between two commit records, with the checksum failures among them.
    private struct Batch {
        var entries: [JournalEntry] = []
        var damaged: [UInt64] = []
        var sequence: UInt64 = 0
        /// Offset just past the batch's commit record.
        var end: UInt64 = 0
    }

    let path: String
    var live: [UInt64: JournalEntry] = [:]
    var watermark: UInt64 = 0
    var lastSequence: UInt64?
    /// End of the last applied commit record: everything after it is an incomplete batch.
    var committedEnd = UInt64(GrantJournal.magic.count)
    var liveBytes = UInt64(GrantJournal.magic.count)
    /// Set when the last batch was complete but damaged and therefore dropped.
    var droppedDamagedBatch: UInt64?
    /// Length of every record seen, by offset, so an `erase` can be checked to name one.
    private var lengths: [UInt64: UInt32] = [:]
    /// Records already wiped in place.
    private var wiped: Set<UInt64> = []
    /// Targets of applied erasures, with their lengths.
    private var erased: [UInt64: UInt32] = [:]

    init(bytes: [UInt8], path: String) throws(StorageError) {
        self.path = path
        guard bytes.count >= GrantJournal.magic.count,
            Array(bytes[0..<GrantJournal.magic.count]) == GrantJournal.magic
        else {
            throw StorageError(
                code: .invalidContent, path: path,
                message: "not a FogFabric grant store (missing FOGCSGJ1 header); refusing to overwrite it")
        }
        var batches = readBatches(bytes)
        // The last complete batch may hold a hole from out-of-order writeback before a
        // crash: if it has damage nothing explains, it was never acknowledged as a whole,
        // so it is dropped like any torn tail.
        if let last = batches.last, !last.damaged.isEmpty {
            let targets = Self.eraseTargets(in: batches)
            if last.damaged.contains(where: { !targets.contains($0) }) {
                droppedDamagedBatch = last.sequence
                batches.removeLast()
            }
        }
        for batch in batches {
            if let previous = lastSequence, batch.sequence != previous &+ 1 {
                throw corrupt(at: batch.end, "batch \(batch.sequence) follows batch \(previous)")
            }
            for entry in batch.entries {
                try apply(entry)
            }
            lastSequence = batch.sequence
            committedEnd = batch.end
        }
        // Damage inside applied batches is acceptable only where a committed erase (which
        // may come in any later batch) explains it as an interrupted wipe.
        for batch in batches {
            for offset in batch.damaged where erased[offset] == nil {
                throw corrupt(at: offset, "record checksum mismatch")
            }
        }
        try checkTail(bytes, from: committedEnd)
    }

    /// Committed erasures whose in-place wipe did not finish.
    func unfinishedWipes() -> [JournalLocation] {
        erased.compactMap { offset, length in
            wiped.contains(offset) ? nil : JournalLocation(offset: offset, length: length)
        }
        .sorted { $0.offset < $1.offset }
    }

    /// Splits the file into complete batches, stopping at the first unparseable length.
    private mutating func readBatches(_ bytes: [UInt8]) -> [Batch] {
        var batches: [Batch] = []
        var current = Batch()
        var position = GrantJournal.magic.count
        while bytes.count - position >= 9 {
            let length = Self.readUInt32(bytes, at: position)
            guard length >= 1, length <= GrantJournal.maximumRecordLength,
                bytes.count - position - 8 >= Int(length)
            else { break }
            let end = position + 4 + Int(length)
            let offset = UInt64(position)
            lengths[offset] = length
            let checksum = Self.readUInt32(bytes, at: end)
            position = end + 4
            guard CRC32C.checksum(bytes[Int(offset)..<end]) == checksum,
                let kind = JournalRecordKind(rawValue: bytes[Int(offset) + 4])
            else {
                current.damaged.append(offset)
                continue
            }
            let payload = Array(bytes[(Int(offset) + 5)..<end])
            switch kind {
            case .commit where payload.count == 8:
                current.sequence = Self.readUInt64(payload, at: 0)
                current.end = UInt64(position)
                batches.append(current)
                current = Batch()
            case .commit:
                current.damaged.append(offset)
            case .erased:
                wiped.insert(offset)
            default:
                current.entries.append(
                    JournalEntry(kind: kind, payload: payload, location: JournalLocation(offset: offset, length: length)))
            }
        }
        return batches
    }

    private static func eraseTargets(in batches: [Batch]) -> Set<UInt64> {
        var targets: Set<UInt64> = []
        for batch in batches {
            for entry in batch.entries where entry.kind == .erase && entry.payload.count == 8 {
                targets.insert(readUInt64(entry.payload, at: 0))
            }
        }
        return targets
    }

    private mutating func apply(_ entry: JournalEntry) throws(StorageError) {
        switch entry.kind {
        case .grant, .linkOptIn, .sweepPending:
            live[entry.location.offset] = entry
            liveBytes += entry.location.size
        case .erase:
            guard entry.payload.count == 8 else {
                throw corrupt(at: entry.location.offset, "erase record of \(entry.payload.count) bytes")
            }
            let target = Self.readUInt64(entry.payload, at: 0)
            guard target < entry.location.offset, let length = lengths[target] else {
                throw corrupt(at: entry.location.offset, "erase names offset \(target), where no record starts")
            }
            if let removed = live.removeValue(forKey: target) {
                liveBytes -= removed.location.size
            }
            erased[target] = length
        case .watermark:
            guard entry.payload.count == 8 else {
                throw corrupt(at: entry.location.offset, "watermark record of \(entry.payload.count) bytes")
            }
            watermark = max(watermark, Self.readUInt64(entry.payload, at: 0))
        case .erased, .commit:
            break
        }
    }

    /// After the last applied commit only one incomplete batch may follow. Out-of-order
    /// writeback can leave that batch's own commit record intact behind a hole, so one
    /// commit with the next sequence number is still a torn tail; a commit beyond it means
    /// batches that were complete are unreachable, i.e. corruption.
    private func checkTail(_ bytes: [UInt8], from start: UInt64) throws(StorageError) {
        var found = 0
        var position = Int(start)
        while position + 17 <= bytes.count {
            defer { position += 1 }
            guard Self.readUInt32(bytes, at: position) == 9,
                bytes[position + 4] == JournalRecordKind.commit.rawValue,
                CRC32C.checksum(bytes[position..<(position + 13)]) == Self.readUInt32(bytes, at: position + 13)
            else { continue }
            let sequence = Self.readUInt64(bytes, at: position + 5)
            found += 1
            let beyondNext = lastSequence.map { sequence > $0 &+ 1 } ?? (found > 1)
            if beyondNext {
                throw corrupt(
                    at: start, "unreadable bytes are followed by complete batch \(sequence) at offset \(position)")
            }
        }
    }

    private func corrupt(at offset: UInt64, _ reason: String) -> StorageError {
        StorageError(
            code: .corrupt, path: path,
            message: "grant store is corrupt at offset \(offset) (\(reason)); refusing to start. "
                + "Restore it from a backup, or move it aside and let the controller resynchronise this ComSat")
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in offset..<(offset + 4) {
            value = value << 8 | UInt32(bytes[index])
        }
        return value
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + 8) {
            value = value << 8 | UInt64(bytes[index])
        }
        return value
    }
}
