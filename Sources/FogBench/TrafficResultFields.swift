/// The `RESULT` fields every pair-traffic scenario reports the same way, so the data-path and
/// link scenarios print them under the same keys from one place.
extension PairTraffic.Totals {
    /// Delivery counters: sent, received, lost, duplicated, reordered, refused, failed, dropped connections.
    var resultFields: [(String, ResultJSON)] {
        [
            ("sent", .integer(sent)),
            ("received", .integer(received)),
            ("lost", .integer(lost)),
            ("duplicates", .integer(duplicates)),
            ("out_of_order", .integer(outOfOrder)),
            ("rejected_publishes", .integer(rejectedPublishes)),
            ("publish_failures", .integer(publishFailures)),
            ("lost_connections", .integer(lostConnections)),
        ]
    }
}

extension TrafficPhaseResult {
    /// p50 and p99 (and with `maximum`, the maximum) in microseconds, as `<prefix>p50_us` etc.
    func latencyFields(prefix: String = "", maximum: Bool = false) -> [(String, ResultJSON)] {
        var fields: [(String, ResultJSON)] = [
            (prefix + "p50_us", .number(Double(latency.value(atPercentile: 50)) / 1e3, decimals: 1)),
            (prefix + "p99_us", .number(Double(latency.value(atPercentile: 99)) / 1e3, decimals: 1)),
        ]
        if maximum {
            fields.append((prefix + "max_us", .number(Double(latency.maximum) / 1e3, decimals: 1)))
        }
        return fields
    }
}

/// `value / baseline`, NaN when there is no baseline to divide by (printed as such).
func ratio(_ value: Double, _ baseline: Double) -> Double {
    baseline > 0 ? value / baseline : .nan
}

/// `value / baseline`, nil when either was not measured.
func ratio(_ value: Double?, _ baseline: Double?) -> Double? {
    guard let value, let baseline else { return nil }
    return ratio(value, baseline)
}
