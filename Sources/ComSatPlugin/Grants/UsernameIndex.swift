/// Open-addressing hash index from username bytes to a slot in the grant store.
///
/// Linear probing over a power-of-two table kept at most half full, with the full hash
/// stored beside each slot so most mismatches cost one integer compare. Removal shifts
/// later entries back instead of leaving tombstones, so lookups never slow down with churn.
/// Growth doubles the table (O(n) once per doubling, so O(1) amortised per insert).
///
/// - Important: Touched only on the broker thread, so lookups and updates take no lock.
struct UsernameIndex {
    private var slots: [Int32]
    private var hashes: [UInt64]
    private var mask: Int
    private(set) var count = 0
    let seed: UInt64

    init(seed: UInt64, minimumCapacity: Int = 1024) {
        var capacity = 16
        while capacity < minimumCapacity { capacity <<= 1 }
        self.seed = seed
        slots = [Int32](repeating: -1, count: capacity)
        hashes = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        ByteHash.hash(bytes, seed: seed)
    }

    /// The stored value whose key hashes to `hash` and satisfies `matches`.
    @inline(__always)
    func find(hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            hashes.withUnsafeBufferPointer { hashes in
                var position = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let value = slots[position]
                    if value < 0 { return nil }
                    if hashes[position] == hash, matches(Int(value)) { return Int(value) }
                    position = (position + 1) & mask
                }
            }
        }
    }

    /// Adds `value` under `hash`; the caller has checked that the key is absent.
    mutating func insert(hash: UInt64, value: Int) {
        if (count + 1) * 2 > slots.count {
            grow()
        }
        place(hash: hash, value: Int32(value))
        count += 1
    }

    /// Removes `value`, stored under `hash`.
    mutating func remove(hash: UInt64, value: Int) {
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position] != Int32(value) {
            if slots[position] < 0 { return }
            position = (position + 1) & mask
        }
        // Backward-shift deletion: pull later members of the probe run into the hole
        // unless their home slot lies cyclically after the hole.
        var hole = position
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let home = Int(truncatingIfNeeded: hashes[next]) & mask
            let homeIsAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeIsAfterHole {
                slots[hole] = slots[next]
                hashes[hole] = hashes[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        hashes[hole] = 0
        count -= 1
    }

    private mutating func place(hash: UInt64, value: Int32) {
        var position = Int(truncatingIfNeeded: hash) & mask
        while slots[position] >= 0 {
            position = (position + 1) & mask
        }
        slots[position] = value
        hashes[position] = hash
    }

    private mutating func grow() {
        let oldSlots = slots
        let oldHashes = hashes
        let capacity = oldSlots.count * 2
        slots = [Int32](repeating: -1, count: capacity)
        hashes = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for position in oldSlots.indices where oldSlots[position] >= 0 {
            place(hash: oldHashes[position], value: oldSlots[position])
        }
    }
}
