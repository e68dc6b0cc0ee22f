import FogMQTT

/// Who reconnects when, while a swarm recovers from a broker restart: every connection the
/// outage cut off, and every one that was offline when it began, retries with the backoff of
/// `policy` (jittered, growing per failed attempt), the way a link half does.
struct RecoveryState {
    let policy: MQTTReconnectPolicy
    /// Failed attempts since the connection was last up.
    private var attempts: [Int]
    /// When the next attempt is due (`MonotonicClock` nanoseconds); 0 when none is scheduled.
    private var nextAttempt: [UInt64]
    /// Connected again since the outage began.
    private var reconnected: [Bool]
    /// When the first connection was lost.
    private(set) var outageAt: UInt64?
    private(set) var reconnectedCount = 0
    private(set) var lastReconnectAt: UInt64 = 0
    /// Connection attempts started, failed ones included.
    private(set) var attemptCount = 0

    init(connections: Int, policy: MQTTReconnectPolicy) {
        self.policy = policy
        attempts = Array(repeating: 0, count: connections)
        nextAttempt = Array(repeating: 0, count: connections)
        reconnected = Array(repeating: false, count: connections)
    }

    var connectionCount: Int { reconnected.count }

    func isScheduled(_ index: Int) -> Bool {
        nextAttempt[index] != 0
    }

    /// Connection `index` closed or an attempt of it failed: it tries again after the
    /// policy's delay for its next attempt.
    mutating func lost(_ index: Int, now: UInt64) {
        if outageAt == nil {
            outageAt = now
        }
        if reconnected[index] {
            reconnected[index] = false
            reconnectedCount -= 1
        }
        attempts[index] += 1
        nextAttempt[index] = max(1, now + MonotonicClock.nanoseconds(of: policy.delay(beforeAttempt: attempts[index])))
    }

    mutating func connected(_ index: Int, now: UInt64) {
        guard outageAt != nil, !reconnected[index] else { return }
        reconnected[index] = true
        reconnectedCount += 1
        lastReconnectAt = now
        attempts[index] = 0
    }

    /// Up to `limit` connections whose attempt is due, oldest schedule first in index order;
    /// they count as attempted.
    mutating func due(now: UInt64, limit: Int) -> [Int] {
        var result: [Int] = []
        guard limit > 0 else { return result }
        for index in nextAttempt.indices where nextAttempt[index] != 0 && nextAttempt[index] <= now {
            nextAttempt[index] = 0
            result.append(index)
            if result.count == limit { break }
        }
        attemptCount += result.count
        return result
    }
}
