#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Wall-clock time in whole milliseconds since the Unix epoch, as carried in envelopes.
///
/// FogCore keeps Foundation out (it is linked into the broker plugin), so this stands in
/// for `Date`. Every API that needs the current time takes a `Timestamp` parameter that
/// defaults to `now()`, so tests control time explicitly. Codable as the bare number.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var millisecondsSinceEpoch: UInt64

    public init(millisecondsSinceEpoch: UInt64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The system's real-time clock (CLOCK_REALTIME). Not monotonic: it can step.
    public static func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let milliseconds = Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
        return Timestamp(millisecondsSinceEpoch: UInt64(clamping: milliseconds))
    }

    /// Moves by `duration` (negative moves back), saturating at the ends of the range.
    public func advanced(by duration: Duration) -> Timestamp {
        let delta = Self.milliseconds(duration)
        let moved =
            delta >= 0
            ? millisecondsSinceEpoch.addingReportingOverflow(delta.magnitude)
            : millisecondsSinceEpoch.subtractingReportingOverflow(delta.magnitude)
        guard !moved.overflow else {
            return Timestamp(millisecondsSinceEpoch: delta >= 0 ? .max : 0)
        }
        return Timestamp(millisecondsSinceEpoch: moved.partialValue)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public var description: String { "\(millisecondsSinceEpoch) ms" }

    /// Whole milliseconds in `duration`, truncated toward zero and clamped to `Int64`.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let scaled = seconds.multipliedReportingOverflow(by: 1_000)
        guard !scaled.overflow else { return seconds < 0 ? .min : .max }
        let total = scaled.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !total.overflow else { return seconds < 0 ? .min : .max }
        return total.partialValue
    }
}

extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        millisecondsSinceEpoch = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSinceEpoch)
    }
}
