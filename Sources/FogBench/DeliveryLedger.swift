import FogMQTT

/// Delivery accounted by the second each message was sent in (whole `MonotonicClock`
/// seconds), so a measurement window counts exactly the messages sent inside it and whether
/// each arrived within `deadline`, whatever is in flight at the window's edges.
///
/// A second closes `deadline` after it ended; what arrives later counts as late, not as
/// delivered. Closed seconds travel from a load-generating process to the scenario as one
/// text line each (`line`, `init(line:)`), histograms included, because percentiles of
/// several processes combine only from their histograms.
struct DeliveryLedger {
    struct Second: Sendable {
        var second: UInt64
        var sent = 0
        /// Distinct messages that arrived before the second closed.
        var delivered = 0
        var duplicates = 0
        var latency = LatencyHistogram()

        init(second: UInt64) {
            self.second = second
        }

        /// `second <s> <sent> <delivered> <duplicates> <min> <max> <sum> <index>:<count>,...`
        var line: String {
            let buckets = latency.buckets.map { "\($0.index):\($0.count)" }.joined(separator: ",")
            return "second \(second) \(sent) \(delivered) \(duplicates) \(latency.minimum) \(latency.maximum) "
                + "\(UInt64(latency.total)) \(buckets.isEmpty ? "-" : buckets)"
        }

        /// Parses `line`; nil for anything else.
        init?(line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 9, fields[0] == "second",
                  let second = UInt64(fields[1]), let sent = Int(fields[2]), let delivered = Int(fields[3]),
                  let duplicates = Int(fields[4]), let minimum = UInt64(fields[5]), let maximum = UInt64(fields[6]),
                  let sum = UInt64(fields[7])
            else { return nil }
            var buckets: [(index: Int, count: UInt64)] = []
            if fields[8] != "-" {
                for entry in fields[8].split(separator: ",") {
                    let parts = entry.split(separator: ":")
                    guard parts.count == 2, let index = Int(parts[0]), let count = UInt64(parts[1]) else { return nil }
                    buckets.append((index, count))
                }
            }
            guard let latency = LatencyHistogram(buckets: buckets, minimum: minimum, maximum: maximum, sum: Double(sum)) else {
                return nil
            }
            self.second = second
            self.sent = sent
            self.delivered = delivered
            self.duplicates = duplicates
            self.latency = latency
        }

        mutating func add(_ other: Second) {
            sent += other.sent
            delivered += other.delivered
            duplicates += other.duplicates
            latency.merge(other.latency)
        }
    }

    /// Nanoseconds after the end of a second until it closes.
    let deadline: UInt64
    private var open: [UInt64: Second] = [:]
    /// Seconds below this are closed.
    private(set) var closedBelow: UInt64 = 0
    /// Distinct messages that arrived after their second closed.
    private(set) var lateArrivals = 0

    init(deadline: Duration) {
        self.deadline = MonotonicClock.nanoseconds(of: deadline)
    }

    mutating func sent(at sentAt: UInt64) {
        let second = sentAt / 1_000_000_000
        guard second >= closedBelow else { return }
        open[second, default: Second(second: second)].sent += 1
    }

    mutating func arrived(sentAt: UInt64, now: UInt64) {
        let second = sentAt / 1_000_000_000
        guard second >= closedBelow, open[second] != nil else {
            lateArrivals += 1
            return
        }
        open[second]?.delivered += 1
        open[second]?.latency.record(nanoseconds: now >= sentAt ? now - sentAt : 0)
    }

    mutating func duplicated(sentAt: UInt64) {
        let second = sentAt / 1_000_000_000
        if second >= closedBelow {
            open[second]?.duplicates += 1
        }
    }

    /// Removes and returns the seconds whose deadline passed by `now`, oldest first.
    mutating func close(now: UInt64) -> [Second] {
        guard now > deadline else { return [] }
        let limit = (now - deadline) / 1_000_000_000
        guard limit > closedBelow else { return [] }
        closedBelow = limit
        let closing = open.keys.filter { $0 < limit }.sorted()
        return closing.compactMap { open.removeValue(forKey: $0) }
    }
}
