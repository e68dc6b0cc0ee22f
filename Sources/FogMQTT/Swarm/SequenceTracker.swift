/// The receiving side's account of one stream of sequence numbers (0, 1, 2, ...): which
/// arrived, how many twice, how many out of order.
///
/// One bit per sequence number up to the highest seen, so a run of millions of messages
/// costs kilobytes, and a late or duplicated message is classified exactly rather than
/// guessed from the highest number so far.
public struct SequenceTracker: Sendable {
    public enum Outcome: Sendable, Equatable {
        case new
        case duplicate
        /// Beyond `maximumSequence`: corrupt, or not from this run.
        case invalid
    }

    /// Sequence numbers at or above this are refused instead of growing the bitmap.
    public let maximumSequence: UInt64
    private var seen: [UInt64] = []
    /// Distinct sequence numbers received.
    public private(set) var received = 0
    public private(set) var duplicates = 0
    /// New numbers that arrived below the highest already received.
    public private(set) var outOfOrder = 0
    public private(set) var invalid = 0
    /// One past the highest sequence number received: a sender keeping a window of
    /// messages in flight has `sent - nextExpected` outstanding, and a lost message does
    /// not hold the window shut once a later one arrives.
    public private(set) var nextExpected: UInt64 = 0

    public init(maximumSequence: UInt64 = 1 << 32) {
        self.maximumSequence = maximumSequence
    }

    @discardableResult
    public mutating func record(_ sequence: UInt64) -> Outcome {
        guard sequence < maximumSequence else {
            invalid += 1
            return .invalid
        }
        let word = Int(sequence >> 6)
        let bit = UInt64(1) << (sequence & 63)
        if word >= seen.count {
            seen.append(contentsOf: repeatElement(0, count: max(word + 1 - seen.count, seen.count)))
        }
        if seen[word] & bit != 0 {
            duplicates += 1
            return .duplicate
        }
        seen[word] |= bit
        received += 1
        if sequence < nextExpected {
            outOfOrder += 1
        } else {
            nextExpected = sequence + 1
        }
        return .new
    }

    /// Messages of `0..<sent` that never arrived.
    public func lost(sent: UInt64) -> Int {
        max(0, Int(clamping: sent) - received)
    }
}
