import Glibc

/// Nanoseconds on `CLOCK_MONOTONIC`, the clock sequenced payloads carry.
///
/// Raw integers rather than `ContinuousClock.Instant` so a timestamp fits a payload and a
/// latency is one subtraction. Comparable only within one host.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// `duration` in whole nanoseconds, clamped at zero.
    public static func nanoseconds(of duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
