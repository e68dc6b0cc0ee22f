/// Remembers which (sender, nonce) pairs were accepted while their envelopes could still pass
/// the clock-skew check, so each envelope is accepted at most once.
///
/// An entry expires when its timestamp plus `lifetime` (the verifier's clock skew) falls behind
/// the latest `now` the window has seen; by then the envelope would be rejected as stale
/// anyway. Using the latest `now` rather than the current one makes the window safe when the
/// wall clock steps back: an envelope older than the window's `horizon` is rejected as stale
/// even if the stepped-back clock would accept it, because its nonce may already be forgotten.
///
/// Memory is bounded by `capacity`. Expired entries are dropped first (cheaply, from a
/// min-heap of expiries); when every remembered entry is still live the window refuses the
/// new envelope with `.replayWindowFull` rather than forget a nonce that could be replayed.
public struct ReplayWindow: Sendable {
    public let capacity: Int
    public let lifetime: Duration

    private let lifetimeMilliseconds: UInt64
    private var expiries: [Key: UInt64] = [:]
    private var heap = ExpiryHeap()
    private var latest: UInt64 = 0

    /// - Precondition: `capacity` > 0 and `lifetime` is not negative.
    public init(capacity: Int, lifetime: Duration) {
        precondition(capacity > 0, "replay window capacity must be positive")
        precondition(lifetime >= .zero, "replay window lifetime must not be negative")
        self.capacity = capacity
        self.lifetime = lifetime
        lifetimeMilliseconds = UInt64(Timestamp.milliseconds(lifetime))
    }

    /// Number of remembered (sender, nonce) pairs, live or not yet swept.
    public var count: Int { expiries.count }

    /// Envelopes with an older timestamp are refused: their nonces may have been forgotten.
    public var horizon: Timestamp {
        Timestamp(millisecondsSinceEpoch: latest).advanced(by: .zero - lifetime)
    }

    /// Throws unless an envelope with this sender, nonce and timestamp could be recorded now.
    /// Records nothing (expired entries may be swept).
    public mutating func check(
        sender: OpaqueID, nonce: EnvelopeNonce, timestamp: Timestamp, now: Timestamp
    ) throws(EnvelopeError) {
        advance(to: now)
        let expiry = expiry(of: timestamp)
        guard expiry >= latest else {
            throw EnvelopeError(
                code: .stale,
                message: "envelope from \(sender) at \(timestamp) is older than the replay window's "
                    + "horizon \(horizon) (the clock stepped back)",
                sender: sender)
        }
        guard expiries[Key(sender: sender, nonce: nonce)] == nil else {
            throw EnvelopeError(
                code: .replayed, message: "envelope from \(sender) with nonce \(nonce) was already accepted",
                sender: sender)
        }
        guard expiries.count < capacity else {
            throw EnvelopeError(
                code: .replayWindowFull,
                message: "replay window holds \(capacity) live nonces; refusing envelope from \(sender) "
                    + "rather than forgetting one",
                sender: sender)
        }
    }

    /// Checks as `check`, then remembers the pair until it expires.
    public mutating func record(
        sender: OpaqueID, nonce: EnvelopeNonce, timestamp: Timestamp, now: Timestamp
    ) throws(EnvelopeError) {
        try check(sender: sender, nonce: nonce, timestamp: timestamp, now: now)
        let key = Key(sender: sender, nonce: nonce)
        let expiry = expiry(of: timestamp)
        expiries[key] = expiry
        heap.push(ExpiryHeap.Entry(expiry: expiry, key: key))
    }

    private func expiry(of timestamp: Timestamp) -> UInt64 {
        let (sum, overflow) = timestamp.millisecondsSinceEpoch.addingReportingOverflow(lifetimeMilliseconds)
        return overflow ? .max : sum
    }

    private mutating func advance(to now: Timestamp) {
        latest = max(latest, now.millisecondsSinceEpoch)
        while let oldest = heap.minimum, oldest.expiry < latest {
            heap.removeMinimum()
            expiries[oldest.key] = nil
        }
    }

    fileprivate struct Key: Hashable, Sendable {
        var sender: OpaqueID
        var nonce: EnvelopeNonce
    }

    /// Binary min-heap on expiry, so sweeping costs O(log n) per expired entry.
    fileprivate struct ExpiryHeap: Sendable {
        struct Entry: Sendable {
            var expiry: UInt64
            var key: Key
        }

        private var entries: [Entry] = []

        var minimum: Entry? { entries.first }

        mutating func push(_ entry: Entry) {
            entries.append(entry)
            var child = entries.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard entries[child].expiry < entries[parent].expiry else { break }
                entries.swapAt(child, parent)
                child = parent
            }
        }

        mutating func removeMinimum() {
            guard !entries.isEmpty else { return }
            entries.swapAt(0, entries.count - 1)
            entries.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].expiry < entries[smallest].expiry { smallest = left }
                if right < entries.count, entries[right].expiry < entries[smallest].expiry { smallest = right }
                guard smallest != parent else { return }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }
}
