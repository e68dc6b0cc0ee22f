/// Latencies in nanoseconds, bucketed log-linearly like an HDR histogram: values below 128
/// are exact, above that each power of two splits into 64 buckets, so any percentile is
/// within 1.6 % of the true sample at a fixed 30 KiB, however many samples.
///
/// Mergeable, so per-connection or per-phase histograms can be combined.
public struct LatencyHistogram: Sendable {
    private static let subBucketBits = 7
    private static let linearLimit: UInt64 = 1 << subBucketBits  // 128
    private static let halfRange = Int(linearLimit / 2)          // 64 buckets per power of two
    private static let bucketCount = Int(linearLimit) + (64 - subBucketBits) * halfRange

    private var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var minimum: UInt64 = .max
    public private(set) var maximum: UInt64 = 0
    private var sum: Double = 0

    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    public mutating func record(nanoseconds value: UInt64) {
        counts[Self.bucket(of: value)] += 1
        count += 1
        minimum = min(minimum, value)
        maximum = max(maximum, value)
        sum += Double(value)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices {
            counts[index] += other.counts[index]
        }
        count += other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        sum += other.sum
    }

    /// The non-empty buckets as (index, count), ascending: with `minimum`, `maximum` and
    /// `sum` all another process needs to rebuild this histogram with
    /// `init(buckets:minimum:maximum:sum:)` and merge it (percentiles of parts do not combine).
    public var buckets: [(index: Int, count: UInt64)] {
        counts.indices.compactMap { index in counts[index] > 0 ? (index, counts[index]) : nil }
    }

    /// The sum of all samples in nanoseconds.
    public var total: Double { sum }

    /// Rebuilds a histogram from `buckets` of another; nil when an index is out of range.
    public init?(buckets: [(index: Int, count: UInt64)], minimum: UInt64, maximum: UInt64, sum: Double) {
        self.init()
        for (index, count) in buckets {
            guard counts.indices.contains(index) else { return nil }
            counts[index] += count
            self.count += count
        }
        if count > 0 {
            self.minimum = minimum
            self.maximum = maximum
            self.sum = sum
        }
    }

    /// The mean in nanoseconds, 0 when empty.
    public var mean: Double {
        count == 0 ? 0 : sum / Double(count)
    }

    /// The value at `percentile` (0...100) in nanoseconds: the middle of the bucket holding
    /// the sample of that rank, clamped to the observed range; 0 when empty.
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let fraction = min(max(percentile, 0), 100) / 100
        let rank = max(1, UInt64((fraction * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for index in counts.indices {
            seen += counts[index]
            if seen >= rank {
                let (low, width) = Self.range(of: index)
                return min(max(low + width / 2, minimum), maximum)
            }
        }
        return maximum
    }

    static func bucket(of value: UInt64) -> Int {
        if value < linearLimit {
            return Int(value)
        }
        let highestBit = 63 - value.leadingZeroBitCount
        let shift = highestBit - subBucketBits + 1
        let mantissa = Int(value >> UInt64(shift))  // halfRange ..< linearLimit
        return Int(linearLimit) + (shift - 1) * halfRange + (mantissa - halfRange)
    }

    /// The lowest value of bucket `index` and how many values it spans.
    static func range(of index: Int) -> (low: UInt64, width: UInt64) {
        if index < Int(linearLimit) {
            return (UInt64(index), 1)
        }
        let offset = index - Int(linearLimit)
        let shift = offset / halfRange + 1
        let mantissa = UInt64(offset % halfRange + halfRange)
        return (mantissa << UInt64(shift), UInt64(1) << UInt64(shift))
    }
}
