internal import FogCore

extension GrantStore {
    /// Opens the journal at `path` and rebuilds the grants, opt-ins and pending sweeps it
    /// holds. Returns log lines about repairs. A record that cannot be decoded or breaks the
    /// rules between grants is treated as corruption: the plugin never writes one, so the
    /// file is not what it wrote, and starting with a silently different grant set would be
    /// worse than not starting.
    static func open(
        path: String, reserved: Reserved, capacity: Int, hashSeed: UInt64
    ) throws(StorageError) -> (store: GrantStore, notes: [String]) {
        let (journal, contents) = try GrantJournal.open(path: path)
        let store = GrantStore(journal: journal, reserved: reserved, capacity: capacity, hashSeed: hashSeed)
        var notes = contents.notes
        do {
            for entry in contents.records where entry.kind == .grant {
                try store.load(grantRecord: entry)
            }
            for entry in contents.records {
                switch entry.kind {
                case .linkOptIn:
                    store.load(optIn: entry)
                case .sweepPending:
                    if let older = store.pendingSweeps.insert(entry.payload, at: entry.location) {
                        store.journal.stageErasure(of: older)
                    }
                default:
                    break
                }
            }
            if let warning = try store.commit() {
                notes.append("grant store compaction failed, continuing with the uncompacted journal: \(warning)")
            }
        } catch {
            journal.close()
            throw error
        }
        if store.count > capacity {
            notes.append("grant store holds \(store.count) grants, above max_grants \(capacity); new grants are refused")
        }
        return (store, notes)
    }

    private func load(grantRecord entry: JournalEntry) throws(StorageError) {
        func corrupt(_ reason: String) -> StorageError {
            StorageError(
                code: .corrupt, path: journal.path,
                message: "grant record at offset \(entry.location.offset) \(reason); refusing to start. "
                    + "Restore the store from a backup, or move it aside and let the controller resynchronise this ComSat")
        }
        var reader = ByteReader(entry.payload)
        let grant: Grant
        let digest: GrantDigest
        do {
            grant = try Grant(from: &reader)
            try reader.expectEnd()
            digest = try GrantDigest(of: grant)
        } catch {
            throw corrupt("cannot be decoded (\(error))")
        }
        do {
            try grant.validate()
        } catch {
            throw corrupt("is invalid (\(error.message))")
        }
        if slot(of: Array(grant.username.utf8)) != nil {
            throw corrupt("repeats the username \(LogAlias.of(grant.username))")
        }
        if let problem = admissionProblem(for: grant, replacing: nil, checkCapacity: false) {
            throw corrupt("conflicts with an earlier grant (\(problem.reason ?? problem.result.description))")
        }
        insert(grant, digest: digest, location: entry.location)
    }

    /// Restores one side's opt-in. A record whose link or side no longer has a grant is
    /// stale and erased.
    private func load(optIn entry: JournalEntry) {
        var reader = ByteReader(entry.payload)
        guard let id = try? OpaqueID(from: &reader), let sideValue = try? reader.readUInt8(),
            let side = Grant.LinkSide(rawValue: sideValue), reader.isAtEnd,
            let slot = linkSlotsByID[id], var link = links[slot], link.half(side) >= 0
        else {
            journal.stageErasure(of: entry.location)
            return
        }
        if let older = link.optIn(side) {
            journal.stageErasure(of: older)
        }
        let wasOptedIn = link.isOptedIn
        link.setOptIn(side, entry.location)
        links[slot] = link
        if !wasOptedIn, link.isOptedIn {
            optedInLinkCountDidChange(by: 1)
        }
    }
}
