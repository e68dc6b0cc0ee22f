/// Client ids of removed grants whose sessions await the controller's sweep, each with
/// its journal record.
///
/// Every client id also holds a slot, so the `pendingSweeps` command can page through the
/// table with a plain position cursor that stays valid while sweeps complete between pages
/// (a completed sweep leaves a hole instead of shifting the others). Holes are reused by
/// later removals and the slots are dropped whenever the table empties, so the slot array
/// stays as large as the largest backlog of unswept sessions.
struct PendingSweepTable {
    private struct Entry {
        var slot: Int
        var location: JournalLocation
    }

    private var entries: [[UInt8]: Entry] = [:]
    private var slots: [[UInt8]?] = []
    private var freeSlots: [Int] = []

    var count: Int { entries.count }

    func contains(_ clientID: [UInt8]) -> Bool {
        entries[clientID] != nil
    }

    /// Every pending client id, for compaction.
    var clientIDs: [[UInt8]] {
        Array(entries.keys)
    }

    /// Records that `clientID` awaits a sweep, its record at `location`. Returns the
    /// location of an older record for the same client id, which the caller erases.
    mutating func insert(_ clientID: [UInt8], at location: JournalLocation) -> JournalLocation? {
        if let existing = entries[clientID] {
            entries[clientID]?.location = location
            return existing.location
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[free] = clientID
        } else {
            slot = slots.count
            slots.append(clientID)
        }
        entries[clientID] = Entry(slot: slot, location: location)
        return nil
    }

    /// Forgets `clientID`; returns its record's location, or nil when it was not pending.
    mutating func remove(_ clientID: [UInt8]) -> JournalLocation? {
        guard let entry = entries.removeValue(forKey: clientID) else { return nil }
        if entries.isEmpty {
            slots.removeAll()
            freeSlots.removeAll()
        } else {
            slots[entry.slot] = nil
            freeSlots.append(entry.slot)
        }
        return entry.location
    }

    /// Notes that compaction moved `clientID`'s record.
    mutating func move(_ clientID: [UInt8], to location: JournalLocation) {
        entries[clientID]?.location = location
    }

    /// Up to `limit` client ids from slot `cursor` on, and the cursor of the next page (nil
    /// after the last).
    func page(from cursor: Int, limit: Int) -> (clientIDs: [[UInt8]], next: Int?) {
        var clientIDs: [[UInt8]] = []
        var position = max(cursor, 0)
        while position < slots.count, clientIDs.count < limit {
            if let clientID = slots[position] {
                clientIDs.append(clientID)
            }
            position += 1
        }
        return (clientIDs, position < slots.count ? position : nil)
    }
}
