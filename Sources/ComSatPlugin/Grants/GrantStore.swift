internal import FogCore

/// All grants of this ComSat, their indexes and their journal.
///
/// The auth and ACL callbacks read it through `record(username:)` and the link opt-in
/// state; control commands change it one grant at a time (`GrantStore+Changes.swift`),
/// staging journal records as they go, and `commit()` makes a command's batch durable.
///
/// - Important: Every method runs on the broker thread (Mosquitto calls all plugin
///   callbacks from its single main loop), so the tables are updated in place with no lock
///   and no copy-on-change of the whole set; that confinement is what makes this safe.
final class GrantStore {
    /// The controller's username and client id, which no grant may use.
    struct Reserved {
        var username: [UInt8]
        var clientID: [UInt8]
    }

    /// A topic in use, and whose it is: one link (both halves share its topics) or one
    /// principal. Counted because both halves of a link name each of its topics.
    struct TopicClaim {
        enum Owner: Hashable {
            case link(OpaqueID)
            case principal([UInt8])
        }

        var owner: Owner
        var references: Int
    }

    let journal: GrantJournal
    let reserved: Reserved
    /// Most grants the store accepts.
    let capacity: Int

    private(set) var setDigest = GrantSetDigest()
    // The three tables the auth and ACL callbacks read opt out of dynamic exclusivity
    // checks (a third of an ACL check's cost): they are only ever touched from the broker
    // thread, one callback at a time, and no access to them overlaps another.
    @exclusivity(unchecked) var records: [GrantRecord?] = []
    var freeRecordSlots: [Int] = []
    @exclusivity(unchecked) var index: UsernameIndex
    var slotsByClientID: [[UInt8]: Int] = [:]
    var topicClaims: [[UInt8]: TopicClaim] = [:]
    @exclusivity(unchecked) var links: [LinkState?] = []
    var freeLinkSlots: [Int] = []
    var linkSlotsByID: [OpaqueID: Int] = [:]
    /// Client ids of removed grants whose sessions await the controller's sweep.
    var pendingSweeps = PendingSweepTable()
    /// Client ids to disconnect, collected by changes and drained by the plugin.
    var pendingKicks: [[CChar]] = []
    private(set) var optedInLinkCount = 0
    private(set) var sweepsCompleted: UInt64 = 0

    init(journal: GrantJournal, reserved: Reserved, capacity: Int, hashSeed: UInt64) {
        self.journal = journal
        self.reserved = reserved
        self.capacity = capacity
        index = UsernameIndex(seed: hashSeed)
    }

    var count: Int { index.count }
    var linkCount: Int { linkSlotsByID.count }
    var pendingSweepCount: Int { pendingSweeps.count }

    // MARK: Hot path (auth, ACL): no allocation

    /// The grant whose username is `username`, or nil.
    @inline(__always)
    func record(username: UnsafeRawBufferPointer) -> GrantRecord? {
        let hash = index.hash(username)
        guard let slot = index.find(hash: hash, where: { slot in
            guard let record = records[slot] else { return false }
            return GrantRecord.equal(record.username, username)
        }) else { return nil }
        return records[slot]
    }

    /// True when `record` is not a link half, or its link has both sides opted in.
    @inline(__always)
    func isOptedIn(_ record: GrantRecord) -> Bool {
        guard record.linkSlot >= 0 else { return true }
        return links[record.linkSlot]?.isOptedIn ?? false
    }

    /// Records that a link half authenticated. The first time per side this stages an
    /// opt-in record (allocating once in the half's lifetime); the plugin's tick commits it.
    /// Returns true when this completed the link's opt-in.
    func noteAuthenticated(_ record: GrantRecord) -> Bool {
        guard record.linkSlot >= 0, var link = links[record.linkSlot], let side = record.grant.link?.side,
            link.optIn(side) == nil
        else { return false }
        link.setOptIn(side, journal.stage(.linkOptIn, LinkState.optInPayload(link.id, side)))
        links[record.linkSlot] = link
        if link.isOptedIn {
            optedInLinkCount += 1
            return true
        }
        return false
    }

    /// True when `clientID` belongs to a removed grant whose session awaits a sweep.
    func isSweepPending(clientID: UnsafeRawBufferPointer) -> Bool {
        pendingSweeps.contains(Array(clientID))
    }

    /// Forgets a pending sweep once the controller's takeover connection was accepted; the
    /// erasure of its journal record is committed by the plugin's tick.
    func completeSweep(clientID: UnsafeRawBufferPointer) {
        guard let location = pendingSweeps.remove(Array(clientID)) else { return }
        journal.stageErasure(of: location)
        sweepsCompleted += 1
    }

    // MARK: Persistence

    /// Commits the staged batch, then compacts the journal if dead records outgrew live
    /// ones. A failed compaction leaves the old journal valid; its error is returned for a
    /// warning rather than thrown.
    func commit() throws(StorageError) -> StorageError? {
        try journal.commit()
        guard journal.needsCompaction else { return nil }
        do {
            try compact()
            return nil
        } catch {
            return error
        }
    }

    /// Rewrites the journal with exactly the live state and updates every location.
    func compact() throws(StorageError) {
        var entries: [(kind: JournalRecordKind, payload: [UInt8])] = []
        var owners: [Owner] = []
        entries.reserveCapacity(count + pendingSweeps.count)
        for (slot, record) in records.enumerated() {
            guard let record else { continue }
            guard let payload = try? record.grant.encoded() else {
                // Cannot happen (the grant was encoded when it was added); never drop it silently.
                throw StorageError(
                    code: .invalidContent, path: journal.path,
                    message: "compaction skipped: grant \(LogAlias.of(record.grant.username)) cannot be re-encoded")
            }
            entries.append((.grant, payload))
            owners.append(.grant(slot))
        }
        for (slot, link) in links.enumerated() {
            guard let link else { continue }
            for side in Grant.LinkSide.allCases where link.optIn(side) != nil {
                entries.append((.linkOptIn, LinkState.optInPayload(link.id, side)))
                owners.append(.optIn(slot, side))
            }
        }
        for clientID in pendingSweeps.clientIDs {
            entries.append((.sweepPending, clientID))
            owners.append(.sweep(clientID))
        }
        let locations = try journal.compact(entries)
        for (owner, location) in zip(owners, locations) {
            switch owner {
            case .grant(let slot):
                records[slot]?.location = location
            case .optIn(let slot, let side):
                links[slot]?.setOptIn(side, location)
            case .sweep(let clientID):
                pendingSweeps.move(clientID, to: location)
            }
        }
    }

    /// Which in-memory item a compacted record belongs to.
    private enum Owner {
        case grant(Int)
        case optIn(Int, Grant.LinkSide)
        case sweep([UInt8])
    }

    func drainKicks() -> [[CChar]] {
        defer { pendingKicks.removeAll() }
        return pendingKicks
    }

    // MARK: Listing

    /// Up to `limit` (username, digest) pairs from store slot `cursor`, and the cursor of
    /// the next page (nil after the last).
    func page(from cursor: Int, limit: Int) -> (entries: [ComSatResponse.ListEntry], next: Int?) {
        var entries: [ComSatResponse.ListEntry] = []
        var position = max(cursor, 0)
        while position < records.count, entries.count < limit {
            if let record = records[position] {
                entries.append(ComSatResponse.ListEntry(username: record.grant.username, digest: record.digest))
            }
            position += 1
        }
        return (entries, position < records.count ? position : nil)
    }

    /// Up to `limit` client ids awaiting a sweep from position `cursor`, and the cursor of
    /// the next page (nil after the last).
    func pendingSweepPage(from cursor: Int, limit: Int) -> (clientIDs: [String], next: Int?) {
        let page = pendingSweeps.page(from: cursor, limit: limit)
        return (page.clientIDs.map { String(decoding: $0, as: UTF8.self) }, page.next)
    }

    // MARK: Bookkeeping shared by changes and loading

    func digestDidChange(removing old: GrantDigest?, inserting new: GrantDigest?) {
        if let old { setDigest.remove(old) }
        if let new { setDigest.insert(new) }
    }

    func optedInLinkCountDidChange(by delta: Int) {
        optedInLinkCount += delta
    }
}
