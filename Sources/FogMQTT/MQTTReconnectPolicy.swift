/// When to try again after an established connection was lost: exponential backoff with
/// jitter, so many clients cut off by one broker restart do not reconnect in lockstep.
///
/// Only losses are retried. The first `connect()` makes one attempt and reports its
/// failure, and failures that waiting cannot fix (bad credentials, not authorized, TLS
/// trust, an invalid client id) end reconnection at once instead of looping.
public struct MQTTReconnectPolicy: Sendable, Hashable {
    /// Delay before the first attempt, before jitter.
    public var initialDelay: Duration
    /// Upper bound of the delay, before jitter.
    public var maximumDelay: Duration
    /// Growth factor per attempt.
    public var multiplier: Double
    /// Fraction of each delay that is randomized away: 0 = fixed, 1 = anywhere from zero to
    /// the full delay ("full jitter").
    public var jitter: Double
    /// Attempts after which the client gives up and reports itself disconnected; `nil` = never.
    public var maximumAttempts: Int?

    public init(
        initialDelay: Duration = .milliseconds(200),
        maximumDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.5,
        maximumAttempts: Int? = nil
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maximumAttempts = maximumAttempts
    }

    /// The wait before attempt number `attempt` (1-based).
    public func delay(beforeAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let initial = Self.seconds(initialDelay)
        let maximum = max(Self.seconds(maximumDelay), 0)
        let exponent = Double(min(max(attempt - 1, 0), 64))
        let base = min(max(initial, 0) * Self.power(max(multiplier, 1), exponent), maximum)
        let spread = min(max(jitter, 0), 1)
        let factor = 1 - spread * Double.random(in: 0..<1, using: &generator)
        return .seconds(base * factor)
    }

    /// The wait before attempt number `attempt` (1-based), with system randomness.
    public func delay(beforeAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(beforeAttempt: attempt, using: &generator)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `base` raised to a whole `exponent` ≤ 64, without Foundation's `pow`.
    private static func power(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) {
            result *= base
            if result.isInfinite { break }
        }
        return result
    }
}
